"""Another cohort's object ids give 404 (or are ignored), and `next` never leaves the site."""

import pytest
from django.urls import reverse

from cohorts.models import (
    AuditEvent,
    CertificateSubmission,
    DeadlineExtension,
    KaggleRoute,
    Membership,
    Notification,
)
from courses.models import Specialization, Week

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example.com/phish"
HOSTILE_NEXTS = [
    EVIL,
    "//evil.example.com/",
    "///evil.example.com/",
    "/\\evil.example.com/",
    "\\\\evil.example.com",
    "https:evil.example.com",
    "javascript:alert(1)",
    " https://evil.example.com",
]


def _organizer(world):
    return world.client("organizer")


def test_an_organizer_gets_404_for_every_id_of_another_cohort(world):
    client, slug, other = _organizer(world), world.cohort.slug, world.other
    urls = [
        reverse("cohorts:organize-participant", args=[slug, other.target.pk]),
        reverse("cohorts:organize-eliminate", args=[slug, other.target.pk]),
        reverse("cohorts:organize-reinstate", args=[slug, other.target.pk]),
        reverse("cohorts:organize-withdraw", args=[slug, other.target.pk]),
        reverse("cohorts:organize-extend", args=[slug, other.target.pk]),
        reverse("cohorts:organize-deadline", args=[slug, other.deadline.pk]),
        reverse("cohorts:organize-route", args=[slug, other.route.pk]),
        reverse("cohorts:organize-route-delete", args=[slug, other.route.pk]),
        *[
            reverse("cohorts:verify-decide", args=[slug, "certificate", other.submission.pk, d])
            for d in ("approve", "reject", "revoke")
        ],
    ]
    for url in urls:
        method = client.get if url.endswith(f"/{other.target.pk}/") else client.post
        response = method(url, {"reason": "x", "withdraw-reason": "x", "reinstate-reason": "x"})
        assert response.status_code == 404, url
    other.target.refresh_from_db()
    assert other.target.status == Membership.Status.ACTIVE
    assert KaggleRoute.objects.filter(pk=other.route.pk).exists()
    assert CertificateSubmission.objects.get(pk=other.submission.pk).status == "submitted"
    assert not AuditEvent.objects.filter(cohort=other.cohort).exists()


def test_ids_of_another_cohort_inside_a_form_are_refused(world):
    client, slug, other = _organizer(world), world.cohort.slug, world.other
    # A deadline of the other cohort, offered for our participant's extension or elimination.
    response = client.post(
        reverse("cohorts:organize-extend", args=[slug, world.mine.target.pk]),
        {"deadline": other.deadline.pk, "due_on": "2099-01-01", "reason": "x"},
    )
    assert response.status_code == 400 and not DeadlineExtension.objects.exists()
    response = client.post(
        reverse("cohorts:organize-eliminate", args=[slug, world.mine.target.pk]),
        {"deadline": other.deadline.pk, "reason": "x"},
    )
    assert response.status_code == 400
    # Their participants in a nudge, their submissions in a bulk approval: ignored.
    client.post(reverse("cohorts:organize-nudge", args=[slug]), {"members": [other.target.pk]})
    assert not Notification.objects.filter(user=other.target.user).exists()
    client.post(
        reverse("cohorts:verify-bulk", args=[slug]), {"selected": [f"certificate:{other.submission.pk}"]}
    )
    assert CertificateSubmission.objects.get(pk=other.submission.pk).status == "submitted"


def test_a_participant_cannot_tick_a_week_outside_the_cohorts_specialization(world):
    foreign = Specialization.objects.create(slug="elsewhere", name="Elsewhere")
    course = foreign.courses.create(number=1, title="Other course")
    week = Week.objects.create(course=course, number=1, title="Other week")
    client = world.client("participant")
    for name in ("cohorts:tick", "cohorts:untick", "cohorts:week-note"):
        response = client.post(reverse(name, args=[world.cohort.slug, week.pk]))
        assert response.status_code == 404
    assert not world.mine.participant.completions.exists()


def test_a_calendar_token_works_only_with_its_own_cohort(world, client):
    token = world.other.participant.calendar_token
    assert client.get(reverse("cohorts:calendar", args=[world.cohort.slug]), {"token": token}).status_code == 404
    assert client.get(reverse("cohorts:calendar", args=[world.other.cohort.slug]), {"token": token}).status_code == 200
    assert client.get(reverse("cohorts:calendar", args=[world.cohort.slug]), {"token": ""}).status_code == 404


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_nudge_never_redirects_off_site(world, target):
    response = _organizer(world).post(
        reverse("cohorts:organize-nudge", args=[world.cohort.slug]),
        {"members": [world.mine.target.pk], "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cohorts:organize", args=[world.cohort.slug])


def test_nudge_goes_back_to_a_page_of_this_site(world):
    back = reverse("cohorts:organize-participant", args=[world.cohort.slug, world.mine.target.pk])
    response = _organizer(world).post(
        reverse("cohorts:organize-nudge", args=[world.cohort.slug]),
        {"members": [world.mine.target.pk], "next": back},
    )
    assert response["Location"] == back


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_set_language_never_redirects_off_site(client, target):
    response = client.post(reverse("set_language"), {"language": "ko", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_sign_in_never_redirects_off_site(world, client, target):
    response = client.post(
        reverse("account_login") + "?next=" + target,
        {"login": world.mine.participant.user.email, "password": "secret-pass-123", "next": target},
    )
    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//", "/\\", "\\", "javascript"))
    assert "evil" not in response["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_sign_out_never_redirects_off_site(world, target):
    response = world.client("participant").post(reverse("account_logout"), {"next": target})
    assert response.status_code == 302 and "evil" not in response["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_sign_up_never_redirects_off_site(client, target):
    response = client.post(
        reverse("account_signup") + "?next=" + target,
        {"email": "newcomer@example.com", "password1": "a-Long-pass-9931",
         "password2": "a-Long-pass-9931", "next": target},
    )
    assert response.status_code == 302 and "evil" not in response["Location"]
