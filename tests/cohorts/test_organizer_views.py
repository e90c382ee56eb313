import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cohorts.models import (
    AuditEvent,
    Cohort,
    Deadline,
    DeadlineExtension,
    KaggleRoute,
    Membership,
    Notification,
    User,
    WeekCompletion,
)
from cohorts.progress import tick_week
from cohorts.status import eliminate
from tests.factories import CohortFactory, DeadlineFactory, MembershipFactory, OrganizerFactory

pytestmark = pytest.mark.django_db


def organizer_urls(cohort: Cohort, membership: Membership, deadline: Deadline, route: KaggleRoute):
    slug = cohort.slug
    return [
        ("get", reverse("cohorts:organize", args=[slug])),
        ("get", reverse("cohorts:organize-csv", args=[slug])),
        ("post", reverse("cohorts:organize-nudge", args=[slug])),
        ("get", reverse("cohorts:organize-participant", args=[slug, membership.pk])),
        ("post", reverse("cohorts:organize-eliminate", args=[slug, membership.pk])),
        ("post", reverse("cohorts:organize-reinstate", args=[slug, membership.pk])),
        ("post", reverse("cohorts:organize-withdraw", args=[slug, membership.pk])),
        ("post", reverse("cohorts:organize-extend", args=[slug, membership.pk])),
        ("get", reverse("cohorts:organize-eliminations", args=[slug])),
        ("post", reverse("cohorts:organize-run-eliminations", args=[slug])),
        ("get", reverse("cohorts:organize-roster", args=[slug])),
        ("get", reverse("cohorts:organize-settings", args=[slug])),
        ("post", reverse("cohorts:organize-deadline-new", args=[slug])),
        ("post", reverse("cohorts:organize-deadline", args=[slug, deadline.pk])),
        ("post", reverse("cohorts:organize-route-new", args=[slug])),
        ("post", reverse("cohorts:organize-route", args=[slug, route.pk])),
        ("post", reverse("cohorts:organize-route-delete", args=[slug, route.pk])),
    ]


@pytest.fixture
def deadline(cohort):
    return DeadlineFactory(cohort=cohort, title="Mission 1", through_course=1)


@pytest.fixture
def route(cohort):
    return KaggleRoute.objects.create(cohort=cohort, name="Featured", categories=["featured"], top_percent=40)


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer.user)
    return client


def test_participants_get_404_on_every_organizer_url(participant_client, participant, deadline, route):
    for method, url in organizer_urls(participant.cohort, participant, deadline, route):
        response = getattr(participant_client, method)(url, {"reason": "x"})
        assert response.status_code == 404, url
    assert not AuditEvent.objects.exists()
    assert KaggleRoute.objects.filter(pk=route.pk).exists()


def test_an_organizer_of_another_cohort_gets_404(client, participant, deadline, route):
    other = OrganizerFactory(cohort=CohortFactory())
    client.force_login(other.user)
    for method, url in organizer_urls(participant.cohort, participant, deadline, route):
        assert getattr(client, method)(url, {"reason": "x"}).status_code == 404, url
    # Nor can they reach this cohort's members through their own cohort's URLs.
    url = reverse("cohorts:organize-participant", args=[other.cohort.slug, participant.pk])
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, cohort):
    response = client.get(reverse("cohorts:organize", args=[cohort.slug]))
    assert response.status_code == 302 and "login" in response.url


def test_the_participant_nav_shows_organize_only_to_organizers(participant_client, participant, client, organizer):
    organize = reverse("cohorts:organize", args=[participant.cohort.slug])
    dashboard = reverse("cohorts:dashboard", args=[participant.cohort.slug])
    assert organize not in participant_client.get(dashboard).content.decode()
    client.force_login(organizer.user)
    assert organize in client.get(dashboard).content.decode()


@pytest.fixture
def crowd(cohort, weeks, deadline):
    """Three participants: on track, critical-by-idleness and eliminated."""
    people = {}
    for name, email in [("김민준", "kim@example.com"), ("Alex Lee", "alex@example.com"),
                        ("=cmd()", "evil@example.com")]:
        user = User.objects.create_user(email, name=name)
        people[email] = MembershipFactory(cohort=cohort, user=user, display_name=name)
    for week in weeks[:4]:
        tick_week(membership=people["kim@example.com"], week=week)
    eliminate(membership=people["evil@example.com"], reason="Missed", notify=False)
    return people


def test_console_counts_and_table(organizer_client, cohort, crowd):
    response = organizer_client.get(reverse("cohorts:organize", args=[cohort.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    counts = {level.value: count for level, count in response.context["counts"]}
    assert counts == {"done": 1, "on_track": 0, "at_risk": 1, "critical": 0, "eliminated": 1}
    assert "김민준" in body and "alex@example.com" in body


def test_console_filters_search_and_sort(organizer_client, cohort, crowd):
    url = reverse("cohorts:organize", args=[cohort.slug])
    rows = lambda params: [r.membership.user.email for r in organizer_client.get(url, params).context["page"].object_list]
    assert rows({"risk": "at_risk"}) == ["alex@example.com"]
    assert rows({"status": "eliminated"}) == ["evil@example.com"]
    assert rows({"q": "민준"}) == ["kim@example.com"]
    assert rows({"q": "ALEX@"}) == ["alex@example.com"]
    assert rows({"sort": "-weeks_done"})[0] == "kim@example.com"
    assert rows({"sort": "email"}) == ["alex@example.com", "evil@example.com", "kim@example.com"]
    assert rows({"pillar": "certificate_state:approved"}) == []
    assert len(rows({"pillar": "certificate_state:not_started", "sort": "nonsense"})) == 3


def read_csv(response):
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_matches_the_filters(organizer_client, cohort, crowd):
    url = reverse("cohorts:organize-csv", args=[cohort.slug])
    response = organizer_client.get(url, {"status": "active", "sort": "email"})
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    rows = read_csv(response)
    assert [r["email"] for r in rows] == ["alex@example.com", "kim@example.com"]
    assert rows[1]["display_name"] == "김민준" and rows[1]["risk"] == "done"
    everyone = read_csv(organizer_client.get(url))
    assert {r["display_name"] for r in everyone} == {"김민준", "Alex Lee", "'=cmd()"}


def test_nudge_queues_reminders_on_commit_and_records_them(organizer_client, cohort, crowd, organizer, django_capture_on_commit_callbacks):
    url = reverse("cohorts:organize-nudge", args=[cohort.slug])
    ids = [crowd["alex@example.com"].pk, crowd["evil@example.com"].pk]  # eliminated: skipped
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(url, {"members": ids, "message": "You can do it"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alex@example.com"]
    assert "You can do it" in mail.outbox[0].body and "Mission 1" in mail.outbox[0].body
    event = AuditEvent.objects.get(action=AuditEvent.Action.NUDGED)
    assert event.actor == organizer.user and event.membership == crowd["alex@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        organizer_client.post(url, {"members": ids})
    assert Notification.objects.filter(kind=Notification.Kind.NUDGE).count() == 2


def test_nudge_needs_a_selection(organizer_client, cohort):
    organizer_client.post(reverse("cohorts:organize-nudge", args=[cohort.slug]), {"members": []})
    assert not Notification.objects.exists()


def test_participant_page_actions_are_audited_and_shown(organizer_client, cohort, crowd, deadline, organizer):
    alex = crowd["alex@example.com"]
    page = reverse("cohorts:organize-participant", args=[cohort.slug, alex.pk])
    act = lambda name, data: organizer_client.post(
        reverse(f"cohorts:organize-{name}", args=[cohort.slug, alex.pk]), data
    )
    due_on = (timezone.now() + timedelta(days=60)).date().isoformat()
    assert act("extend", {"deadline": deadline.pk, "due_on": due_on, "reason": "Exam period"}).status_code == 302
    assert DeadlineExtension.objects.get(membership=alex).due_at.date().isoformat() == due_on
    assert act("eliminate", {"reason": "Plagiarism"}).status_code == 302
    assert act("reinstate", {"reinstate-reason": "Appeal upheld"}).status_code == 302
    assert act("withdraw", {"withdraw-reason": ""}).status_code == 400  # a reason is required
    assert act("withdraw", {"withdraw-reason": "Found a job"}).status_code == 302
    assert Membership.objects.get(pk=alex.pk).status == Membership.Status.WITHDRAWN
    actions = list(AuditEvent.objects.filter(membership=alex).values_list("action", "actor"))
    assert sorted(a for a, _ in actions) == ["eliminated", "extended", "reinstated", "withdrawn"]
    assert all(actor == organizer.user.pk for _, actor in actions)
    body = organizer_client.get(page).content.decode()
    for text in ["Exam period", "Plagiarism", "Appeal upheld", "Found a job"]:
        assert text in body


def test_participant_page_shows_ticks(organizer_client, cohort, crowd):
    kim = crowd["kim@example.com"]
    body = organizer_client.get(reverse("cohorts:organize-participant", args=[cohort.slug, kim.pk])).content.decode()
    assert "Ticked C1 week 1" in body


def test_eliminations_page_previews_and_runs(organizer_client, cohort, crowd, deadline):
    Deadline.objects.filter(pk=deadline.pk).update(due_at=timezone.now() - timedelta(hours=1))
    cohort.memberships.update(joined_at=timezone.now() - timedelta(days=10))
    url = reverse("cohorts:organize-eliminations", args=[cohort.slug])
    response = organizer_client.get(url)
    assert [m.user.email for m in response.context["people"]] == ["alex@example.com"]
    assert response.context["pending"] == 1
    organizer_client.post(reverse("cohorts:organize-run-eliminations", args=[cohort.slug]))
    assert Membership.objects.get(pk=crowd["alex@example.com"].pk).status == Membership.Status.ELIMINATED


def test_roster_upload_preview_then_confirm(organizer_client, cohort, django_capture_on_commit_callbacks):
    url = reverse("cohorts:organize-roster", args=[cohort.slug])
    data = "email,name,role\nnew@example.com,새 참가자,participant\n".encode("cp949")
    upload = io.BytesIO(data)
    upload.name = "roster.csv"
    response = organizer_client.post(url, {"file": upload})
    body = response.content.decode()
    assert "CP949" in body and "새 참가자" in body and not Membership.objects.filter(user__email="new@example.com").exists()
    text = response.context["preview"].text
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(url, {"text": text, "confirm": "1"})
    assert response.status_code == 302
    assert cohort.invitations.get().email == "new@example.com" and len(mail.outbox) == 1


def test_settings_are_saved_and_audited(organizer_client, cohort, organizer):
    url = reverse("cohorts:organize-settings", args=[cohort.slug])
    assert organizer_client.get(url).status_code == 200
    response = organizer_client.post(url, {
        "prize_slots": 25, "reminder_offsets": "1, 7,3", "reminder_hour": 8, "grace_hours": 12,
        "join_code": "JOINME",
    })
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.prize_slots, cohort.reminder_offsets, cohort.reminder_hour, cohort.grace_hours) == (25, [7, 3, 1], 8, 12)
    event = AuditEvent.objects.get(action=AuditEvent.Action.SETTINGS_CHANGED)
    assert event.actor == organizer.user and event.data["changes"]["prize_slots"] == [20, 25]
    bad = organizer_client.post(url, {"prize_slots": 25, "reminder_offsets": "soon", "reminder_hour": 30, "grace_hours": 0})
    assert bad.status_code == 400


def test_deadlines_and_kaggle_routes_are_added_and_edited(organizer_client, cohort, deadline, route):
    new = reverse("cohorts:organize-deadline-new", args=[cohort.slug])
    response = organizer_client.post(new, {"new-kind": "theory", "new-title": "Mission 2", "new-through_course": 2, "new-due_on": "2027-01-31"})
    assert response.status_code == 302
    added = cohort.deadlines.get(title="Mission 2")
    assert added.due_at == cohort.end_of_day(added.due_at.astimezone(cohort.tz).date())
    assert organizer_client.post(new, {"new-kind": "theory", "new-title": "No course", "new-due_on": "2027-01-31"}).status_code == 400
    edit = reverse("cohorts:organize-deadline", args=[cohort.slug, deadline.pk])
    organizer_client.post(edit, {f"d{deadline.pk}-kind": "certificate", f"d{deadline.pk}-title": "TF cert", f"d{deadline.pk}-due_on": "2027-02-01", f"d{deadline.pk}-due_time": "18:00"})
    deadline.refresh_from_db()
    assert deadline.kind == "certificate" and deadline.through_course is None
    assert deadline.due_at.astimezone(cohort.tz).hour == 18
    route_url = reverse("cohorts:organize-route-new", args=[cohort.slug])
    organizer_client.post(route_url, {"new-name": "Team", "new-categories": ["playground", "community"], "new-top_percent": 20, "new-team_required": "on", "new-max_team_size": 3})
    assert cohort.kaggle_routes.get(name="Team").categories == ["playground", "community"]
    organizer_client.post(reverse("cohorts:organize-route-delete", args=[cohort.slug, route.pk]))
    assert not KaggleRoute.objects.filter(pk=route.pk).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SETTINGS_CHANGED).count() == 4


def _bulk_participants(cohort, count, weeks):
    users = User.objects.bulk_create(
        [User(email=f"bulk{cohort.pk}-{n}@example.com", name=f"Bulk {n}") for n in range(count)]
    )
    now = timezone.now()
    memberships = Membership.objects.bulk_create(
        [Membership(cohort=cohort, user=u, display_name=u.name, weeks_done=n % 5,
                    last_activity_at=now - timedelta(days=n % 10)) for n, u in enumerate(users)]
    )
    WeekCompletion.objects.bulk_create(
        [WeekCompletion(membership=m, week=w, completed_at=now - timedelta(days=n % 20))
         for n, m in enumerate(memberships) for w in weeks[: n % 5]]
    )


def test_a_page_costs_the_same_queries_for_60_or_2000_participants(client, weeks, django_assert_num_queries):
    small, large = CohortFactory(), CohortFactory()
    for cohort, count in [(small, 60), (large, 2000)]:
        DeadlineFactory(cohort=cohort, through_course=2)
        DeadlineFactory(cohort=cohort, kind=Deadline.Kind.KAGGLE, through_course=None)
        _bulk_participants(cohort, count, weeks)
        organizer = OrganizerFactory(cohort=cohort)
        DeadlineExtension.objects.create(
            membership=cohort.memberships.participants().first(), deadline=cohort.deadlines.first(),
            due_at=timezone.now() + timedelta(days=90), reason="r",
        )
        client.force_login(organizer.user)
        url = reverse("cohorts:organize", args=[cohort.slug])
        with django_assert_num_queries(QUERIES_PER_PAGE):
            response = client.get(url, {"sort": "-days_left", "page": 1})
        assert len(response.context["page"].object_list) == 50
        assert response.context["console"].total == count
        # The risk table is cached until the cohort changes: the page's rows are what is left.
        with django_assert_num_queries(QUERIES_PER_CACHED_PAGE):
            client.get(url, {"sort": "-days_left", "page": 2})


# session, user, membership with its cohort, deadlines, weeks per course, extensions, the risk
# table (one GROUP BY read in batches), the page's rows.
QUERIES_PER_PAGE = 8
# session, user, membership with its cohort, the page's rows.
QUERIES_PER_CACHED_PAGE = 4
