import pytest
from django.test import Client
from django.urls import reverse

from cohorts.models import Membership, WeekCompletion
from cohorts.progress import tick_week
from cohorts.status import eliminate
from tests.factories import CohortFactory, DeadlineFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def tick_url(membership, week):
    return reverse("cohorts:tick", args=[membership.cohort.slug, week.pk])


def test_anonymous_visitors_are_sent_to_sign_in(client, cohort):
    response = client.get(reverse("cohorts:dashboard", args=[cohort.slug]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_dashboard_shows_progress_and_the_next_deadline(participant_client, participant, weeks):
    DeadlineFactory(cohort=participant.cohort, title="Mission 1", through_course=1)
    tick_week(membership=participant, week=weeks[0])
    response = participant_client.get(reverse("cohorts:dashboard", args=[participant.cohort.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 of 17 weeks" in body
    assert "Mission 1" in body and "3 weeks left" in body
    assert "Logistic Regression with a Neural Network Mindset" in body


def test_non_members_get_404(client, participant):
    outsider = MembershipFactory(cohort=CohortFactory())
    client.force_login(outsider.user)
    assert client.get(reverse("cohorts:dashboard", args=[participant.cohort.slug])).status_code == 404


def test_ticking_with_htmx_returns_the_week_and_the_summary(participant_client, participant, weeks):
    response = participant_client.post(tick_url(participant, weeks[0]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="week-{weeks[0].pk}"' in body and 'aria-pressed="true"' in body
    assert 'id="summary"' in body and 'hx-swap-oob="true"' in body and "1 of 17 weeks" in body
    assert Membership.objects.get(pk=participant.pk).weeks_done == 1


def test_ticking_without_javascript_redirects_back_to_the_week(participant_client, participant, weeks):
    response = participant_client.post(tick_url(participant, weeks[2]))
    assert response.status_code == 302
    assert response.url.endswith(f"#week-{weeks[2].pk}")
    untick = reverse("cohorts:untick", args=[participant.cohort.slug, weeks[2].pk])
    participant_client.post(untick)
    assert not WeekCompletion.objects.exists()


def test_ticking_is_post_only(participant_client, participant, weeks):
    assert participant_client.get(tick_url(participant, weeks[0])).status_code == 405
    assert not WeekCompletion.objects.exists()


def test_csrf_is_enforced(participant, weeks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(participant.user)
    assert client.post(tick_url(participant, weeks[0])).status_code == 403
    assert not WeekCompletion.objects.exists()


def test_nobody_can_tick_in_a_cohort_they_are_not_in(client, participant, weeks):
    other = MembershipFactory(cohort=CohortFactory())
    client.force_login(other.user)
    assert client.post(tick_url(participant, weeks[0])).status_code == 404
    assert not WeekCompletion.objects.exists()


def test_a_week_id_outside_the_curriculum_gives_404(participant_client, participant):
    url = reverse("cohorts:tick", args=[participant.cohort.slug, 999_999])
    assert participant_client.post(url).status_code == 404


def test_eliminated_participants_see_their_progress_read_only(participant_client, participant, weeks):
    tick_week(membership=participant, week=weeks[0])
    eliminate(membership=participant, reason="Missed Mission 1")
    page = participant_client.get(reverse("cohorts:dashboard", args=[participant.cohort.slug]))
    assert "read-only" in page.content.decode() and "disabled" in page.content.decode()
    response = participant_client.post(tick_url(participant, weeks[1]), follow=True)
    assert "read-only" in response.content.decode()
    assert Membership.objects.get(pk=participant.pk).weeks_done == 1


def test_note_link_must_be_http(participant_client, participant, weeks):
    tick_week(membership=participant, week=weeks[0])
    url = reverse("cohorts:week-note", args=[participant.cohort.slug, weeks[0].pk])
    participant_client.post(url, {"note_url": "javascript:alert(1)"})
    assert WeekCompletion.objects.get().note_url == ""
    participant_client.post(url, {"note_url": "https://blog.example.com/week-1"})
    assert WeekCompletion.objects.get().note_url == "https://blog.example.com/week-1"


def _dashboard_queries(client, membership, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cohorts:dashboard", args=[membership.cohort.slug])).status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_the_cohort(client, weeks, django_assert_max_num_queries):
    small = CohortFactory()
    DeadlineFactory(cohort=small)
    alone = MembershipFactory(cohort=small)
    large = CohortFactory()
    DeadlineFactory(cohort=large)
    members = MembershipFactory.create_batch(60, cohort=large)
    for member in members[:30]:
        for week in weeks[:5]:
            tick_week(membership=member, week=week)
    for week in weeks[:5]:
        tick_week(membership=alone, week=week)
    client.force_login(alone.user)
    _dashboard_queries(client, alone, django_assert_max_num_queries)  # caches the curriculum
    one = _dashboard_queries(client, alone, django_assert_max_num_queries)
    client.force_login(members[0].user)
    sixty = _dashboard_queries(client, members[0], django_assert_max_num_queries)
    assert one == sixty
