"""Hostile input on every form, through its real view: never a 500, never a partial write.

Each property posts random field values (unicode of every kind, NUL and control characters,
huge and negative numbers, impossible dates, formula prefixes, script and `javascript:` links)
as the role that may use the form. A refused form (400/403/404, or an error message) writes
nothing; an accepted one is whole (the services are atomic). Every example runs in a savepoint
that is rolled back, so the examples are independent.
"""

from datetime import date

import pytest
from django.contrib.messages import constants
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohorts.models import Deadline, Notification
from cohorts.progress import tick_week

from .conftest import changed_tables, post_and_undo, write_counters

pytestmark = pytest.mark.django_db

EXAMPLES = 40
hostile_settings = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "", " ", "\x00", "a\x00b", "\x1b[31m", "\u202e", "\ufeff", "😀" * 50, "가" * 300,
    "=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(A1)", "<script>alert(1)</script>",
    "javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "https://", "http://[::1",
    "https://example.org/" + "a" * 600, "https://例え.jp/ノート", "ftp://example.org/x",
    "0", "-1", "1e9", "99999999999999999999999999", "²", "١٢", "NaN", "null", "None",
    "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "00:00", "23:59:60", "24:00",
    "' OR 1=1 --", "%00", "../../etc/passwd", "a" * 5000,
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.times().map(lambda t: t.isoformat()),
)


def fields(*names: str, lists: tuple[str, ...] = ()):
    """Any subset of the form's fields, each with a hostile value (a list for multi-valued ones)."""
    optional = {name: values for name in names}
    optional.update({name: st.lists(values, max_size=4) for name in lists})
    return st.fixed_dictionaries({}, optional=optional)


def _refused(response) -> bool:
    storage = getattr(response.wsgi_request, "_messages", None)
    levels = [m.level for m in getattr(storage, "_queued_messages", [])]  # this request's only
    return response.status_code in {400, 403, 404} or constants.ERROR in levels


def assert_safe(response, written, *, writes_allowed=True):
    assert response.status_code < 500
    if _refused(response) or not writes_allowed:
        assert written == [], (response.status_code, written)


@pytest.fixture
def participant_client(world):
    return world.client("participant")


@pytest.fixture
def organizer_client(world):
    return world.client("organizer")


@pytest.fixture
def ticked(world):
    tick_week(membership=world.mine.participant, week=world.week)
    return world


@hostile_settings
@given(data=fields("note_url"))
def test_tick_note_url(ticked, participant_client, data):
    url = reverse("cohorts:week-note", args=[ticked.cohort.slug, ticked.week.pk])
    assert_safe(*post_and_undo(participant_client, url, data))


@hostile_settings
@given(data=fields("certificate_url"))
def test_theory_evidence(world, participant_client, data):
    url = reverse("cohorts:pillar", args=[world.cohort.slug, "theory"])
    assert_safe(*post_and_undo(participant_client, url, data))


@hostile_settings
@given(data=fields("certification", "credential_id", "credential_url", "passed_on", "note"))
def test_certificate(world, participant_client, data):
    url = reverse("cohorts:pillar", args=[world.cohort.slug, "certificate"])
    assert_safe(*post_and_undo(participant_client, url, data))


KAGGLE_FIELDS = (
    "competition_url", "competition_title", "category", "awards_medals", "team_name",
    "team_size", "rank", "teams", "evidence_url",
)


@hostile_settings
@given(data=fields(*KAGGLE_FIELDS), check=st.booleans())
def test_kaggle(world, participant_client, data, check):
    url = reverse("cohorts:pillar", args=[world.cohort.slug, "kaggle"])
    response, written = post_and_undo(participant_client, url, {**data, **({"check": "1"} if check else {})})
    # "Check" shows the route verdict and never writes.
    assert_safe(response, written, writes_allowed=not check)


@hostile_settings
@given(data=fields(*KAGGLE_FIELDS))
def test_kaggle_route_check_never_writes(world, participant_client, data):
    url = reverse("cohorts:kaggle-check", args=[world.cohort.slug])
    assert_safe(*post_and_undo(participant_client, url, data), writes_allowed=False)


def _member_url(world, name):
    return reverse(name, args=[world.cohort.slug, world.mine.target.pk])


@hostile_settings
@given(data=fields("deadline", "due_on", "due_time", "reason"), real_deadline=st.booleans())
def test_extension(world, organizer_client, data, real_deadline):
    if real_deadline:
        data["deadline"] = str(world.mine.deadline.pk)
    assert_safe(*post_and_undo(organizer_client, _member_url(world, "cohorts:organize-extend"), data))


@hostile_settings
@given(data=fields("reason", "deadline"))
def test_elimination_reason(world, organizer_client, data):
    assert_safe(*post_and_undo(organizer_client, _member_url(world, "cohorts:organize-eliminate"), data))


@hostile_settings
@given(data=fields("reinstate-reason", "withdraw-reason"), action=st.sampled_from(["reinstate", "withdraw"]))
def test_reinstate_and_withdraw_reason(world, organizer_client, data, action):
    assert_safe(*post_and_undo(organizer_client, _member_url(world, f"cohorts:organize-{action}"), data))


@hostile_settings
@given(
    data=fields("prize_slots", "reminder_offsets", "reminder_hour", "grace_hours", "join_code",
                lists=("accepted_certifications",)),
)
def test_settings(world, organizer_client, data):
    url = reverse("cohorts:organize-settings", args=[world.cohort.slug])
    assert_safe(*post_and_undo(organizer_client, url, data))


@hostile_settings
@given(
    data=fields("kind", "title", "through_course", "due_on", "due_time"),
    kind=st.sampled_from([None, *Deadline.Kind.values]), existing=st.booleans(),
)
def test_deadlines(world, organizer_client, data, kind, existing):
    deadline = world.mine.deadline
    if kind:
        data["kind"] = kind
    prefix = f"d{deadline.pk}" if existing else "new"
    name = "cohorts:organize-deadline" if existing else "cohorts:organize-deadline-new"
    args = [world.cohort.slug, deadline.pk] if existing else [world.cohort.slug]
    body = {f"{prefix}-{key}": value for key, value in data.items()}
    assert_safe(*post_and_undo(organizer_client, reverse(name, args=args), body))


@hostile_settings
@given(
    data=fields("name", "top_percent", "team_required", "max_team_size", lists=("categories",)),
    existing=st.booleans(),
)
def test_kaggle_routes(world, organizer_client, data, existing):
    route = world.mine.route
    prefix = f"r{route.pk}" if existing else "new"
    name = "cohorts:organize-route" if existing else "cohorts:organize-route-new"
    args = [world.cohort.slug, route.pk] if existing else [world.cohort.slug]
    body = {f"{prefix}-{key}": value for key, value in data.items()}
    assert_safe(*post_and_undo(organizer_client, reverse(name, args=args), body))


@hostile_settings
@given(data=fields("message", lists=("members",)), include_target=st.booleans())
def test_nudge(world, organizer_client, data, include_target):
    if include_target:
        data["members"] = [*data.get("members", []), str(world.mine.target.pk)]
    url = reverse("cohorts:organize-nudge", args=[world.cohort.slug])
    assert_safe(*post_and_undo(organizer_client, url, data))


@hostile_settings
@given(data=fields("reason", "tab"), decision=st.sampled_from(["approve", "reject", "revoke"]))
def test_review_decision(world, organizer_client, data, decision):
    url = reverse(
        "cohorts:verify-decide", args=[world.cohort.slug, "certificate", world.mine.submission.pk, decision]
    )
    assert_safe(*post_and_undo(organizer_client, url, data))


@hostile_settings
@given(selected=st.lists(st.one_of(values, values.map(lambda v: f"certificate:{v}")), max_size=6))
def test_bulk_approval(world, organizer_client, selected):
    url = reverse("cohorts:verify-bulk", args=[world.cohort.slug])
    assert_safe(*post_and_undo(organizer_client, url, {"selected": selected}))


@hostile_settings
@given(data=fields("text", "confirm"))
def test_roster_confirmation(world, organizer_client, data):
    url = reverse("cohorts:organize-roster", args=[world.cohort.slug])
    assert_safe(*post_and_undo(organizer_client, url, data))


@hostile_settings
@given(data=fields("code"))
def test_join_code(world, participant_client, data):
    assert_safe(*post_and_undo(participant_client, reverse("cohorts:join"), data))


@hostile_settings
@given(data=fields("email_reminders", "email_digest", "language"))
def test_email_preferences(world, participant_client, data):
    assert_safe(*post_and_undo(participant_client, reverse("cohorts:preferences"), data))


@settings(hostile_settings, max_examples=EXAMPLES // 2)  # six pages per example
@given(params=fields("page", "v", "q", "sort", "risk", "status", "pillar", "deadline", "tab"))
def test_hostile_query_strings_on_read_pages(world, params):
    """GET parameters of the pages that read them: never a 500 (and, being GETs, no write)."""
    participant, organizer = world.client("participant"), world.client("organizer")
    slug = world.cohort.slug
    for client, name in [
        (participant, "cohorts:leaderboard"), (participant, "cohorts:leaderboard-json"),
        (organizer, "cohorts:organize"), (organizer, "cohorts:organize-csv"),
        (organizer, "cohorts:organize-eliminations"), (organizer, "cohorts:verify"),
    ]:
        with transaction.atomic():
            before = write_counters()
            response = client.get(reverse(name, args=[slug]), params)
            if name == "cohorts:organize-csv":
                b"".join(response.streaming_content)
            written = changed_tables(before, write_counters())
            transaction.set_rollback(True)
        assert response.status_code < 500 and written == [], (name, response.status_code, written)


def test_an_oversized_form_post_is_refused_not_crashed(world, organizer_client, settings):
    url = reverse("cohorts:organize-nudge", args=[world.cohort.slug])
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response, written = post_and_undo(organizer_client, url, {"message": big, "members": [world.mine.target.pk]})
    assert response.status_code == 400 and written == []


def test_dates_at_the_ends_of_the_calendar_are_form_errors(world, organizer_client):
    """Year 1 at midnight in Seoul is before year 1 in UTC: refused, not an OverflowError."""
    for due_on, due_time in [("0001-01-01", "00:00"), ("9999-12-31", "23:59"), ("0001-01-01", "")]:
        response, written = post_and_undo(
            organizer_client, _member_url(world, "cohorts:organize-extend"),
            {"deadline": world.mine.deadline.pk, "due_on": due_on, "due_time": due_time, "reason": "x"},
        )
        assert response.status_code in {302, 400} and (response.status_code == 302 or not written)
        response, written = post_and_undo(
            organizer_client, reverse("cohorts:organize-deadline-new", args=[world.cohort.slug]),
            {"new-kind": "certificate", "new-title": "T", "new-due_on": due_on, "new-due_time": due_time},
        )
        assert response.status_code in {302, 400} and (response.status_code == 302 or not written)


def test_unicode_digits_in_id_lists_are_ignored(world, organizer_client):
    """"²".isdigit() is true but int("²") fails: such ids must be dropped, not crash the view."""
    slug = world.cohort.slug
    response = organizer_client.post(
        reverse("cohorts:organize-nudge", args=[slug]),
        {"members": ["²", "9" * 30, str(world.mine.target.pk)]},
    )
    assert response.status_code == 302
    assert Notification.objects.filter(user=world.mine.target.user).count() == 1
    response = organizer_client.post(
        reverse("cohorts:verify-bulk", args=[slug]),
        {"selected": ["certificate:²", "certificate:" + "9" * 30]},
    )
    assert response.status_code == 302

