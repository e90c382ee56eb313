"""CSRF: a POST without the token is refused with 403 on every endpoint and writes nothing.

Each endpoint is posted by a role that may use it (from the permissions matrix), so the 403 is
the CSRF check and not a permission. For the endpoints that change state, the same POST with a
token does write: the refused one was a real attack, not an invalid form.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts.models import Membership
from courses.models import Certification

from .conftest import post_and_undo
from .test_permissions_matrix import EXPECTED, LOGIN
from .urlmap import url_for, url_patterns

pytestmark = pytest.mark.django_db

# RFC 8058 one-click unsubscribe: mail clients POST without a form; the signed token is the credential.
CSRF_EXEMPT = {"cohorts:unsubscribe"}
# Exempt from Django's check because they run their own: Google's sign-in by token posts from
# Google's page with a double-submit cookie (g_csrf_token). Without it: a 4xx, nothing written.
OWN_CSRF_CHECK = {"google_login_by_token"}
SECRET = "a" * 32  # a CSRF secret; Django accepts it unmasked in the form field


def acting_role(key: str) -> str:
    """A role whose POST reaches the view (not 404, 405 or the sign-in redirect)."""
    if key.startswith("admin"):
        return "staff"
    row = EXPECTED[key]["POST"]
    for role in ("participant", "organizer", "anonymous", "staff"):
        if row[role] not in {404, 405, LOGIN}:
            return role
    return "participant"


def valid_posts(world) -> dict[str, tuple[str, dict]]:
    """Role and a body that changes something, per state-changing endpoint."""
    mine = world.mine
    today = timezone.localdate()
    return {
        "cohorts:tick": ("participant", {}),
        "cohorts:leaderboard-anonymity": ("participant", {"anonymous": "on"}),
        "cohorts:calendar-page": ("participant", {}),
        "cohorts:pillar": ("participant", {
            "certification": Certification.objects.get(slug="tensorflow-developer").pk,
            "credential_id": "TF-1", "credential_url": "https://www.credential.net/x",
            "passed_on": (today - timedelta(days=1)).isoformat(),
        }),
        "cohorts:organize-nudge": ("organizer", {"members": [mine.target.pk]}),
        "cohorts:organize-eliminate": ("organizer", {"reason": "Missed it"}),
        "cohorts:organize-withdraw": ("organizer", {"withdraw-reason": "Left"}),
        "cohorts:organize-extend": ("organizer", {
            "deadline": mine.deadline.pk, "due_on": (today + timedelta(days=60)).isoformat(),
            "reason": "Ill",
        }),
        "cohorts:organize-roster": ("organizer", {
            "confirm": "1", "text": "email,name,role\nnew@example.com,New Person,participant\n",
        }),
        "cohorts:organize-settings": ("organizer", {
            "prize_slots": 5, "reminder_offsets": "7, 3", "reminder_hour": 8, "grace_hours": 1,
            "join_code": "",
        }),
        "cohorts:organize-deadline-new": ("organizer", {
            "new-kind": "certificate", "new-title": "Certificate",
            "new-due_on": (today + timedelta(days=50)).isoformat(),
        }),
        "cohorts:organize-deadline": ("organizer", {
            f"d{mine.deadline.pk}-kind": "theory", f"d{mine.deadline.pk}-title": "Renamed",
            f"d{mine.deadline.pk}-through_course": 2,
            f"d{mine.deadline.pk}-due_on": (today + timedelta(days=40)).isoformat(),
        }),
        "cohorts:organize-route-new": ("organizer", {
            "new-name": "Playground", "new-categories": ["playground"], "new-top_percent": 20,
        }),
        "cohorts:organize-route": ("organizer", {
            f"r{mine.route.pk}-name": "Renamed", f"r{mine.route.pk}-categories": ["featured"],
            f"r{mine.route.pk}-top_percent": 30,
        }),
        "cohorts:organize-route-delete": ("organizer", {}),
        "cohorts:verify-decide": ("organizer", {}),
        "cohorts:verify-bulk": ("organizer", {"selected": [f"certificate:{mine.submission.pk}"]}),
        "cohorts:join": ("participant", {"code": "JOIN-OTHER"}),
        "cohorts:preferences": ("participant", {"language": "ko"}),
        "account_login": ("anonymous", {"login": mine.participant.user.email, "password": "secret-pass-123"}),
        "account_signup": ("anonymous", {
            "email": "brand-new@example.com", "password1": "a-Long-pass-9931", "password2": "a-Long-pass-9931",
        }),
        "account_email": ("participant", {"action_add": "1", "email": "second@example.com"}),
        "account_change_password": ("participant", {
            "oldpassword": "secret-pass-123", "password1": "n3w-Long-pass-77", "password2": "n3w-Long-pass-77",
        }),
        "account_confirm_email": ("anonymous", {}),
    }


def _post(world, role, url, data, *, token: bool):
    clients = world.__dict__.setdefault("csrf_clients", {})
    if role not in clients:
        clients[role] = world.client(role, enforce_csrf_checks=True)
        clients[role].cookies["csrftoken"] = SECRET
    body = {**data, "csrfmiddlewaretoken": SECRET} if token else data
    return post_and_undo(clients[role], url, body)


@pytest.fixture
def world_with_join_code(world):
    world.other.cohort.join_code = "JOIN-OTHER"
    world.other.cohort.save(update_fields=["join_code"])
    return world


def test_every_endpoint_refuses_a_post_without_the_token(world_with_join_code):
    world = world_with_join_code
    bodies = valid_posts(world)
    problems, checked = [], 0
    for pattern in url_patterns():
        if pattern.key in CSRF_EXEMPT:
            continue
        role, data = bodies.get(pattern.key, (acting_role(pattern.key), {}))
        url = url_for(pattern, world)
        response, written = _post(world, role, url, data, token=False)
        checked += 1
        if pattern.key in OWN_CSRF_CHECK:
            if not 400 <= response.status_code < 500:
                problems.append(f"POST {url} as {role} without its own token: {response.status_code}")
        elif response.status_code != 403:
            problems.append(f"POST {url} as {role} without a token: {response.status_code}")
        if written:
            problems.append(f"POST {url} as {role} without a token wrote to {written}")
    assert checked == len(url_patterns()) - len(CSRF_EXEMPT)
    assert not problems, "\n".join(problems)


def test_the_refused_posts_would_have_changed_something(world_with_join_code):
    """With the token the same requests do write: the 403s above stopped real changes."""
    world = world_with_join_code
    patterns = {p.key: p for p in url_patterns()}
    problems = []
    for key, (role, data) in valid_posts(world).items():
        url = url_for(patterns[key], world)
        response, written = _post(world, role, url, data, token=True)
        if response.status_code == 403 or not written:
            problems.append(f"POST {url} as {role} with a token: {response.status_code}, wrote {written}")
    assert not problems, "\n".join(problems)


def test_one_click_unsubscribe_is_the_only_exemption_and_needs_a_signed_token(world):
    patterns = {p.key: p for p in url_patterns()}
    participant = world.mine.participant
    response, written = _post(
        world, "anonymous", url_for(patterns["cohorts:unsubscribe"], world), {}, token=False
    )
    assert response.status_code == 200 and written == ["cohorts_user"]
    forged = url_for(patterns["cohorts:unsubscribe"], world, token="eyJ1IjoxfQ:forged:sig")
    response, written = _post(world, "anonymous", forged, {}, token=False)
    assert response.status_code == 400 and written == []
    participant.user.refresh_from_db()
    assert participant.user.email_reminders is True  # both requests were rolled back
    assert Membership.objects.filter(pk=participant.pk).exists()


def test_google_sign_in_by_token_refuses_a_post_without_its_double_submit_cookie(world, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APP": {"client_id": "test-client-id", "secret": "s", "key": ""}, "SCOPE": ["email"]}
    }
    patterns = {p.key: p for p in url_patterns()}
    url = url_for(patterns["google_login_by_token"], world)
    response, written = _post(world, "anonymous", url, {"credential": "forged.jwt.token"}, token=False)
    assert 400 <= response.status_code < 500 and written == []
    assert "_auth_user_id" not in response.wsgi_request.session
