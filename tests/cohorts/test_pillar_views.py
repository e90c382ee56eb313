from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import CertificateSubmission, KaggleSubmission, Membership, TheorySubmission
from cohorts.submissions import reject_submission, submit_certificate
from tests.factories import CohortFactory, DeadlineFactory, MembershipFactory

from .pillar_helpers import certificate_data, featured_route, finish_theory, team_route, tensorflow

pytestmark = pytest.mark.django_db


def url(membership, pillar):
    return reverse("cohorts:pillar", args=[membership.cohort.slug, pillar])


def kaggle_post(**overrides):
    return {
        "competition_url": "https://www.kaggle.com/competitions/titanic-2",
        "competition_title": "Titanic 2", "category": "featured", "awards_medals": "on",
        "team_name": "", "team_size": "1", "rank": "40", "teams": "100",
        "evidence_url": "https://www.kaggle.com/competitions/titanic-2/leaderboard", **overrides,
    }


def certificate_post(**overrides):
    return {
        "certification": str(tensorflow().pk), "credential_id": "TF-1",
        "credential_url": "https://www.credential.net/abc",
        "passed_on": (timezone.localdate() - timedelta(days=1)).isoformat(), "note": "", **overrides,
    }


@pytest.mark.parametrize("pillar", ["theory", "certificate", "kaggle"])
def test_each_pillar_has_a_page(participant_client, participant, pillar):
    response = participant_client.get(url(participant, pillar))
    assert response.status_code == 200
    assert "Nothing submitted yet." in response.content.decode()


def test_an_unknown_pillar_is_404(participant_client, participant):
    assert participant_client.get(url(participant, "theory").replace("theory", "cooking")).status_code == 404


def test_submitting_a_certificate_redirects_to_its_history(participant_client, participant):
    response = participant_client.post(url(participant, "certificate"), certificate_post())
    assert response.status_code == 302 and response.url == url(participant, "certificate")
    page = participant_client.get(response.url).content.decode()
    assert "TF-1" in page and "waiting for review" in page and "waiting for an organizer" in page


def test_a_double_post_creates_one_open_submission_with_a_clear_message(participant_client, participant):
    participant_client.post(url(participant, "certificate"), certificate_post())
    response = participant_client.post(url(participant, "certificate"), certificate_post(credential_id="TF-2"))
    assert response.status_code == 400
    assert "already have a submission waiting for review" in response.content.decode()
    assert CertificateSubmission.objects.filter(membership=participant).count() == 1


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"passed_on": (timezone.localdate() + timedelta(days=3)).isoformat()}, "cannot be in the future"),
        ({"credential_url": "ftp://example.com/x"}, "http://"),
        ({"passed_on": "yesterday"}, "Enter a valid date"),
    ],
)
def test_bad_certificate_input_shows_a_message_and_writes_nothing(participant_client, participant, post, message):
    response = participant_client.post(url(participant, "certificate"), certificate_post(**post))
    assert response.status_code == 400 and message in response.content.decode()
    assert not CertificateSubmission.objects.exists()


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"rank": "0"}, "The rank must be at least 1."),
        ({"rank": "101"}, "The rank cannot be greater than the number of teams (100)."),
        ({"teams": "0", "rank": "1"}, "The number of teams must be at least 1."),
        ({"teams": "many"}, "Enter a whole number."),
        ({"evidence_url": "javascript:alert(1)"}, "http://"),
        ({"rank": "41"}, "does not meet any of the cohort"),
    ],
)
def test_bad_kaggle_input_shows_a_message_and_writes_nothing(participant_client, participant, post, message):
    featured_route(participant.cohort)
    response = participant_client.post(url(participant, "kaggle"), kaggle_post(**post))
    assert response.status_code == 400 and message in response.content.decode()
    assert not KaggleSubmission.objects.exists()


def test_a_qualifying_kaggle_result_is_submitted_with_its_route(participant_client, participant):
    route = featured_route(participant.cohort)
    response = participant_client.post(url(participant, "kaggle"), kaggle_post(rank="11", teams="500"))
    assert response.status_code == 302
    submission = KaggleSubmission.objects.get()
    assert (submission.route, submission.medal, str(submission.percentile)) == (route, "gold", "2.20")


def test_check_without_javascript_shows_the_verdict_and_writes_nothing(participant_client, participant):
    featured_route(participant.cohort)
    team_route(participant.cohort)
    response = participant_client.post(
        url(participant, "kaggle"), kaggle_post(category="playground", team_size="2", rank="20", check="1")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Qualifies by the route “Team in Playground or Community, top 20%”" in body
    assert not KaggleSubmission.objects.exists()


def test_the_htmx_preview_explains_why_a_result_does_not_qualify(participant_client, participant):
    featured_route(participant.cohort)
    response = participant_client.post(
        reverse("cohorts:kaggle-check", args=[participant.cohort.slug]),
        kaggle_post(rank="41"), HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="route-preview"')
    assert "Does not qualify" in body and "The rank must be 40 or better" in body
    assert "<html" not in body and not KaggleSubmission.objects.exists()


def test_the_htmx_preview_reports_an_impossible_rank(participant_client, participant):
    featured_route(participant.cohort)
    response = participant_client.post(
        reverse("cohorts:kaggle-check", args=[participant.cohort.slug]),
        kaggle_post(rank="200"), HTTP_HX_REQUEST="true",
    )
    assert "greater than the number of teams" in response.content.decode()


def test_theory_evidence_form_appears_once_every_week_is_ticked(participant_client, participant):
    assert "Tick all weeks" in participant_client.get(url(participant, "theory")).content.decode()
    finish_theory(participant)
    response = participant_client.post(url(participant, "theory"), {"certificate_url": "https://coursera.org/verify/specialization/ABC"})
    assert response.status_code == 302 and TheorySubmission.objects.get().membership == participant


def test_a_submission_for_a_cohort_one_is_not_in_is_404(client, participant):
    outsider = MembershipFactory(cohort=CohortFactory())
    client.force_login(outsider.user)
    response = client.post(url(participant, "certificate"), certificate_post())
    assert response.status_code == 404 and not CertificateSubmission.objects.exists()


def test_eliminated_participants_see_why_they_cannot_submit(participant_client, participant):
    Membership.objects.filter(pk=participant.pk).update(status="eliminated")
    assert "your status is Eliminated" in participant_client.get(url(participant, "certificate")).content.decode()
    response = participant_client.post(url(participant, "certificate"), certificate_post())
    assert response.status_code == 400 and not CertificateSubmission.objects.exists()


def test_the_dashboard_shows_each_pillar_with_its_deadline_state_and_reason(participant_client, participant, organizer):
    cohort = participant.cohort
    DeadlineFactory(cohort=cohort, kind="certificate", through_course=None, title="TF cert")
    DeadlineFactory(cohort=cohort, kind="kaggle", through_course=None, title="Kaggle")
    submission = submit_certificate(membership=participant, **certificate_data())
    reject_submission(submission=submission, actor=organizer.user, reason="Blurry screenshot")
    body = participant_client.get(reverse("cohorts:dashboard", args=[cohort.slug])).content.decode()
    assert "Rejected: Blurry screenshot" in body
    assert "Resubmit" in body and url(participant, "certificate") in body
    assert "Submit evidence" in body and url(participant, "kaggle") in body
    assert body.count("Due ") >= 2
