"""Every URL pattern x every role x GET and POST, against the expected status.

The patterns are read from the URLconf: a new URL without a row here fails
`test_every_url_pattern_has_an_expected_row` and its own matrix test. The app's own patterns
(bootcamp/urls.py, cohorts/urls.py) and allauth's each have an explicit row; the Django admin is
one documented family (`admin_expectation`). Kwargs are real ids of the cohort under test, so
an outsider's 404 is the permission check, not a missing object. Every request runs in a
savepoint that is rolled back, and no GET may write a row (sessions aside).
"""

import copy

import pytest
from django.db import transaction

from .conftest import ROLES, changed_tables, write_counters
from .urlmap import url_for, url_patterns

pytestmark = pytest.mark.django_db

LOGIN = "login"  # 302 to the sign-in page, coming back here afterwards
ADMIN_LOGIN = "admin-login"  # 302 to the admin's sign-in page


def row(anonymous, participant, other_participant, organizer, other_organizer, staff) -> dict:
    return dict(zip(ROLES, (anonymous, participant, other_participant, organizer, other_organizer, staff)))


def everyone(status) -> dict:
    return row(*[status] * len(ROLES))


# Cohort pages: members only; outsiders, staff included, get 404 (a cohort's existence is not theirs).
MEMBER = row(LOGIN, 200, 404, 200, 404, 404)
MEMBER_ACTION = row(LOGIN, 302, 404, 302, 404, 404)  # POST, then back to the page
ORGANIZER = row(LOGIN, 404, 404, 200, 404, 404)
ORGANIZER_ACTION = row(LOGIN, 404, 404, 302, 404, 404)
ORGANIZER_FORM_INVALID = row(LOGIN, 404, 404, 400, 404, 404)  # an empty POST is refused
SIGNED_IN = row(LOGIN, 200, 200, 200, 200, 200)
SIGNED_OUT_ONLY = row(200, 302, 302, 302, 302, 302)  # signed-in users go home
POST_ONLY = everyone(405)
GET_ONLY = everyone(405)

EXPECTED: dict[str, dict[str, dict]] = {
    # bootcamp/urls.py
    "home": {"GET": row(200, 302, 302, 302, 302, 200), "POST": row(200, 302, 302, 302, 302, 200)},
    "healthz": {"GET": everyone(200), "POST": everyone(200)},
    "set_language": {"GET": everyone(405), "POST": everyone(302)},
    # cohorts/urls.py: participant pages
    "cohorts:dashboard": {"GET": MEMBER, "POST": MEMBER},
    "cohorts:tick": {"GET": POST_ONLY, "POST": MEMBER_ACTION},
    "cohorts:untick": {"GET": POST_ONLY, "POST": MEMBER_ACTION},
    "cohorts:week-note": {"GET": POST_ONLY, "POST": MEMBER_ACTION},
    "cohorts:leaderboard": {"GET": MEMBER, "POST": GET_ONLY},
    "cohorts:leaderboard-json": {"GET": MEMBER, "POST": GET_ONLY},
    "cohorts:leaderboard-anonymity": {"GET": POST_ONLY, "POST": MEMBER_ACTION},
    "cohorts:calendar-page": {"GET": MEMBER, "POST": MEMBER_ACTION},
    "cohorts:pillar": {"GET": MEMBER, "POST": row(LOGIN, 400, 404, 400, 404, 404)},
    "cohorts:kaggle-check": {"GET": POST_ONLY, "POST": row(LOGIN, 200, 404, 200, 404, 404)},
    # cohorts/urls.py: the organizer console
    "cohorts:organize": {"GET": ORGANIZER, "POST": ORGANIZER},
    "cohorts:organize-csv": {"GET": ORGANIZER, "POST": ORGANIZER},
    "cohorts:organize-nudge": {"GET": POST_ONLY, "POST": ORGANIZER_ACTION},
    "cohorts:organize-participant": {"GET": ORGANIZER, "POST": ORGANIZER},
    "cohorts:organize-eliminate": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-reinstate": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-withdraw": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-extend": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-eliminations": {"GET": ORGANIZER, "POST": ORGANIZER},
    "cohorts:organize-run-eliminations": {"GET": POST_ONLY, "POST": ORGANIZER_ACTION},
    "cohorts:organize-roster": {"GET": ORGANIZER, "POST": ORGANIZER},
    "cohorts:organize-settings": {"GET": ORGANIZER, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-deadline-new": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-deadline": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-route-new": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-route": {"GET": POST_ONLY, "POST": ORGANIZER_FORM_INVALID},
    "cohorts:organize-route-delete": {"GET": POST_ONLY, "POST": ORGANIZER_ACTION},
    "cohorts:failed-notifications": {"GET": ORGANIZER, "POST": ORGANIZER},
    "cohorts:verify": {"GET": ORGANIZER, "POST": GET_ONLY},
    "cohorts:verify-bulk": {"GET": POST_ONLY, "POST": ORGANIZER_ACTION},
    "cohorts:verify-decide": {"GET": POST_ONLY, "POST": ORGANIZER_ACTION},
    # cohorts/urls.py: outside any one cohort
    "cohorts:join": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    # The invitation names its own address: anyone else signed in is refused.
    "cohorts:invitation": {"GET": everyone(200), "POST": row(200, 403, 403, 403, 403, 403)},
    "cohorts:preferences": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    # Credentials in the URL (a signed token, a secret feed token), no session needed; the
    # unsubscribe POST is RFC 8058's one-click (CSRF-exempt on purpose, see test_csrf).
    "cohorts:unsubscribe": {"GET": everyone(200), "POST": everyone(200)},
    "cohorts:calendar": {"GET": everyone(200), "POST": everyone(200)},
    # allauth (accounts/)
    "account_login": {"GET": SIGNED_OUT_ONLY, "POST": SIGNED_OUT_ONLY},
    "account_signup": {"GET": SIGNED_OUT_ONLY, "POST": SIGNED_OUT_ONLY},
    "account_logout": {"GET": row(302, 200, 200, 200, 200, 200), "POST": everyone(302)},
    "account_inactive": {"GET": everyone(200), "POST": everyone(405)},
    "account_reauthenticate": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "account_email": {"GET": SIGNED_IN, "POST": row(LOGIN, 302, 302, 302, 302, 302)},
    "account_email_verification_sent": {"GET": everyone(200), "POST": everyone(405)},
    "account_change_password": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    # Everyone here has a password: setting one redirects to changing it.
    "account_set_password": {"GET": row(LOGIN, 302, 302, 302, 302, 302), "POST": row(LOGIN, 302, 302, 302, 302, 302)},
    "account_reset_password": {"GET": everyone(200), "POST": everyone(200)},
    "account_reset_password_done": {"GET": everyone(200), "POST": everyone(405)},
    # A real reset key: allauth moves it into the session and redirects to the form.
    "account_reset_password_from_key": {"GET": everyone(302), "POST": everyone(302)},
    "account_reset_password_from_key_done": {"GET": everyone(200), "POST": everyone(405)},
    # No login by code is pending: back to the sign-in page.
    "account_confirm_login_code": {"GET": everyone(302), "POST": everyone(302)},
    # A real key of an unconfirmed address: the page asks, the POST confirms (the key is the credential).
    "account_confirm_email": {"GET": everyone(200), "POST": everyone(302)},
    "socialaccount_login_cancelled": {"GET": everyone(200), "POST": everyone(405)},
    "socialaccount_login_error": {"GET": everyone(401), "POST": everyone(405)},
    "socialaccount_signup": {"GET": everyone(302), "POST": everyone(302)},  # no social login pending
    "socialaccount_connections": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "accounts/social/login/cancelled/": {"GET": everyone(301), "POST": everyone(301)},
    "accounts/social/login/error/": {"GET": everyone(301), "POST": everyone(301)},
    "accounts/social/signup/": {"GET": everyone(301), "POST": everyone(301)},
    "accounts/social/connections/": {"GET": everyone(301), "POST": everyone(301)},
    # Google is not configured in tests: its URLs are a 404 (cohorts.adapters), not a 500.
    "google_login": {"GET": everyone(404), "POST": everyone(404)},
    "google_callback": {"GET": everyone(404), "POST": everyone(404)},
    "google_login_by_token": {"GET": everyone(404), "POST": everyone(404)},
}

ADMIN_STAFF_STATUSES = {200, 302, 403, 404, 405}


def admin_expectation(key: str, method: str, role: str):
    """The admin family: only staff get in; every admin URL sends anyone else to its sign-in page.

    Staff (a superuser who belongs to no cohort) may get any non-error answer: a form, a
    redirect for an absent object, 403 for a read-only model, 405 for a GET-only view.
    """
    if key == "admin:login":
        return 302 if (role, method) == ("staff", "GET") else 200
    if role == "staff":
        return ADMIN_STAFF_STATUSES
    if key == "admin:logout":  # logout_view itself is open; it sends outsiders to the index
        return 302
    return ADMIN_LOGIN


PATTERNS = url_patterns()
APP_PATTERNS = [p for p in PATTERNS if p.family != "admin"]
ADMIN_PATTERNS = [p for p in PATTERNS if p.family == "admin"]
METHODS = ("GET", "POST")


def test_every_url_pattern_has_an_expected_row():
    keys = {p.key for p in APP_PATTERNS}
    assert not sorted(keys - EXPECTED.keys()), "URL patterns without a row in EXPECTED"
    assert not sorted(EXPECTED.keys() - keys), "rows in EXPECTED for URLs that no longer exist"
    assert ADMIN_PATTERNS, "the admin family is enumerated too"
    for pattern in APP_PATTERNS:
        for method in METHODS:
            assert set(EXPECTED[pattern.key][method]) == set(ROLES), (pattern.key, method)


def test_the_apps_own_patterns_are_all_in_the_matrix():
    routes = {p.route for p in APP_PATTERNS}
    for route in ("", "healthz", "c/<slug:slug>/organize/p/<int:membership_id>/extend/",
                  "invite/<str:token>/", "c/<slug:slug>/calendar.ics"):
        assert route in routes


def _matches(expected, response) -> bool:
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        return response.status_code == 302 and location.startswith("/accounts/login/?next=")
    if expected == ADMIN_LOGIN:
        return response.status_code == 302 and location.startswith("/admin/login/")
    if isinstance(expected, set):
        return response.status_code in expected and not location.startswith("/admin/login/")
    return response.status_code == expected


def _check(world, clients, pattern, expected_for) -> tuple[list[str], int]:
    """Every role and method on one pattern; returns the mismatches and the number of requests."""
    url = url_for(pattern, world)
    problems, requests = [], 0
    for role in ROLES:
        client = clients[role]
        for method in METHODS:
            expected = expected_for(method, role)
            cookies = copy.deepcopy(client.cookies)  # a logout in one request must not leak
            with transaction.atomic():
                before = write_counters()
                response = getattr(client, method.lower())(url)
                written = changed_tables(before, write_counters())
                transaction.set_rollback(True)
            client.cookies = cookies
            requests += 1
            if not _matches(expected, response):
                problems.append(
                    f"{method} {url} as {role}: {response.status_code}"
                    f" {response.headers.get('Location', '')} (expected {expected})"
                )
            if method == "GET" and written:
                problems.append(f"GET {url} as {role} wrote to {written}")
    return problems, requests


@pytest.fixture
def clients(world):
    return {role: world.client(role) for role in ROLES}


@pytest.mark.parametrize("pattern", APP_PATTERNS, ids=lambda p: p.key)
def test_permissions_matrix(world, clients, pattern):
    assert pattern.key in EXPECTED, f"{pattern.route} has no row in EXPECTED"
    problems, requests = _check(
        world, clients, pattern, lambda method, role: EXPECTED[pattern.key][method][role]
    )
    assert requests == len(ROLES) * len(METHODS)
    assert not problems, "\n".join(problems)


def test_admin_family_lets_in_staff_only(world, clients):
    problems, requests = [], 0
    for pattern in ADMIN_PATTERNS:
        found, count = _check(
            world, clients, pattern, lambda method, role: admin_expectation(pattern.key, method, role)
        )
        problems += found
        requests += count
    assert requests == len(ADMIN_PATTERNS) * len(ROLES) * len(METHODS)
    assert not problems, "\n".join(problems)
