from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cohorts.models import Deadline, DeadlineExtension, Membership, Notification
from cohorts.progress import record_history
from cohorts.reminders import queue_reminders, reminder_key
from courses.models import Week
from tests.factories import CohortFactory, DeadlineFactory, MembershipFactory, OrganizerFactory

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def dispatch(django_capture_on_commit_callbacks):
    """Run the cohort's reminder dispatch at a frozen moment; sends happen in-process."""

    def run(cohort, at: datetime) -> set[str]:
        before = set(Notification.objects.values_list("key", flat=True))
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            queue_reminders(cohort_id=cohort.pk)
        return set(Notification.objects.values_list("key", flat=True)) - before

    return run


def make_deadline(cohort, day: date, **kwargs) -> Deadline:
    return DeadlineFactory(cohort=cohort, due_at=cohort.end_of_day(day), through_course=1, **kwargs)


def test_seoul_reminders_go_out_at_nine_local_on_each_offset(dls, dispatch):
    cohort = CohortFactory(time_zone="Asia/Seoul")
    deadline = make_deadline(cohort, date(2025, 3, 20))
    member = MembershipFactory(cohort=cohort)
    key = lambda offset: reminder_key(member.pk, deadline.pk, offset)  # noqa: E731

    assert dispatch(cohort, utc(2025, 3, 12, 23, 59)) == set()  # 08:59 KST on the 13th
    assert dispatch(cohort, utc(2025, 3, 13, 0, 0)) == {key(7)}  # 09:00 KST
    assert dispatch(cohort, utc(2025, 3, 13, 5, 0)) == set()
    assert dispatch(cohort, utc(2025, 3, 17, 0, 0)) == {key(3)}
    assert dispatch(cohort, utc(2025, 3, 19, 0, 0)) == {key(1)}
    assert dispatch(cohort, utc(2025, 3, 20, 14, 0)) == set()  # due at 23:59:59 KST, passed
    assert len(mail.outbox) == 3
    assert mail.outbox[0].subject == "[Bootcamp] " + deadline.title + " is due in 7 days"
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 3


def test_new_york_reminders_follow_the_march_daylight_saving_switch(dls, dispatch):
    cohort = CohortFactory(time_zone="America/New_York")
    deadline = make_deadline(cohort, date(2025, 3, 12))  # clocks spring forward on March 9
    member = MembershipFactory(cohort=cohort)
    key = lambda offset: reminder_key(member.pk, deadline.pk, offset)  # noqa: E731

    assert dispatch(cohort, utc(2025, 3, 5, 13, 59)) == set()
    assert dispatch(cohort, utc(2025, 3, 5, 14, 0)) == {key(7)}  # 09:00 EST = 14:00 UTC
    assert dispatch(cohort, utc(2025, 3, 9, 12, 59)) == set()
    assert dispatch(cohort, utc(2025, 3, 9, 13, 0)) == {key(3)}  # 09:00 EDT = 13:00 UTC
    assert dispatch(cohort, utc(2025, 3, 11, 13, 0)) == {key(1)}


def test_new_york_reminders_follow_the_november_daylight_saving_switch(dls, dispatch):
    cohort = CohortFactory(time_zone="America/New_York")
    deadline = make_deadline(cohort, date(2025, 11, 4))  # clocks fall back on November 2
    member = MembershipFactory(cohort=cohort)
    key = lambda offset: reminder_key(member.pk, deadline.pk, offset)  # noqa: E731

    assert dispatch(cohort, utc(2025, 11, 1, 13, 0)) == {key(3)}  # 09:00 EDT
    assert dispatch(cohort, utc(2025, 11, 3, 13, 59)) == set()  # 08:59 EST
    assert dispatch(cohort, utc(2025, 11, 3, 14, 0)) == {key(1)}  # 09:00 EST


def test_a_missed_run_is_caught_up_with_only_the_latest_offset(dls, dispatch):
    cohort = CohortFactory(time_zone="Asia/Seoul")
    deadline = make_deadline(cohort, date(2025, 3, 20))
    member = MembershipFactory(cohort=cohort)

    # Beat was down from before the 7-day moment until after the 3-day moment.
    assert dispatch(cohort, utc(2025, 3, 18, 3, 0)) == {reminder_key(member.pk, deadline.pk, 3)}
    assert dispatch(cohort, utc(2025, 3, 18, 4, 0)) == set()
    assert not Notification.objects.filter(key=reminder_key(member.pk, deadline.pk, 7)).exists()
    # Down again through the 1-day moment and the deadline itself: nothing late.
    assert dispatch(cohort, utc(2025, 3, 21, 0, 0)) == set()
    assert len(mail.outbox) == 1


def test_an_older_offset_is_never_sent_after_a_newer_one(dls, dispatch):
    cohort = CohortFactory(time_zone="Asia/Seoul")
    deadline = make_deadline(cohort, date(2025, 3, 20))
    member = MembershipFactory(cohort=cohort)
    dispatch(cohort, utc(2025, 3, 19, 0, 0))
    # A late run acting on an earlier hour (e.g. a stale clock) finds the newer one sent.
    assert dispatch(cohort, utc(2025, 3, 17, 0, 0)) == set()
    assert set(Notification.objects.values_list("key", flat=True)) == {
        reminder_key(member.pk, deadline.pk, 1)
    }


def test_no_reminder_for_opted_out_done_or_inactive_members(dls, dispatch):
    cohort = CohortFactory(time_zone="Asia/Seoul")
    deadline = make_deadline(cohort, date(2025, 3, 20))
    owed = MembershipFactory(cohort=cohort)
    opted_out = MembershipFactory(cohort=cohort, user__email_reminders=False)
    eliminated = MembershipFactory(cohort=cohort, status=Membership.Status.ELIMINATED)
    OrganizerFactory(cohort=cohort)
    done = MembershipFactory(cohort=cohort)
    at = utc(2025, 3, 1)
    record_history(membership=done, ticks=[(w, at) for w in Week.objects.through_course(1)])

    assert dispatch(cohort, utc(2025, 3, 13, 0, 0)) == {reminder_key(owed.pk, deadline.pk, 7)}
    assert [m.to for m in mail.outbox] == [[owed.user.email]]
    assert opted_out and eliminated


def test_reminders_follow_a_participants_extension(dls, dispatch):
    cohort = CohortFactory(time_zone="Asia/Seoul")
    deadline = make_deadline(cohort, date(2025, 3, 20))
    regular = MembershipFactory(cohort=cohort)
    extended = MembershipFactory(cohort=cohort)
    DeadlineExtension.objects.create(
        membership=extended, deadline=deadline, due_at=cohort.end_of_day(date(2025, 3, 27)),
        reason="illness",
    )
    assert dispatch(cohort, utc(2025, 3, 19, 0, 0)) == {reminder_key(regular.pk, deadline.pk, 1)}
    # Past the original deadline, the extended participant is still reminded.
    assert dispatch(cohort, utc(2025, 3, 24, 0, 0)) == {reminder_key(extended.pk, deadline.pk, 3)}


def test_theory_reminder_lists_the_weeks_left_and_links_to_the_dashboard(dls, dispatch, settings):
    settings.SITE_URL = "https://bootcamp.example.org"
    cohort = CohortFactory(time_zone="Asia/Seoul")
    make_deadline(cohort, date(2025, 3, 20), title="Mission 1")
    member = MembershipFactory(cohort=cohort)
    weeks = list(Week.objects.through_course(1).order_by("number"))
    record_history(membership=member, ticks=[(weeks[0], utc(2025, 3, 1))])

    dispatch(cohort, utc(2025, 3, 17, 0, 0))
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert "3 weeks are left" in message.body
    for week in weeks[1:]:
        assert f"Course 1, week {week.number}: {week.title}" in message.body
        assert week.title in html
    assert weeks[0].title not in message.body
    assert f"https://bootcamp.example.org/c/{cohort.slug}/" in message.body
    assert "March 20, 2025" in message.body and "Asia/Seoul" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://bootcamp.example.org/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_certificate_reminder_stops_once_evidence_is_submitted(dls, dispatch):
    cohort = CohortFactory(time_zone="Asia/Seoul")
    deadline = DeadlineFactory(
        cohort=cohort, kind=Deadline.Kind.CERTIFICATE, through_course=None,
        due_at=cohort.end_of_day(date(2025, 3, 20)),
    )
    owed = MembershipFactory(cohort=cohort)
    MembershipFactory(cohort=cohort, certificate_state=Membership.PillarState.SUBMITTED)
    assert dispatch(cohort, utc(2025, 3, 13, 0, 0)) == {reminder_key(owed.pk, deadline.pk, 7)}
    assert "certificate is not in yet" in mail.outbox[0].body


def test_dispatcher_reads_participants_in_batches_of_constant_queries(dls):
    cohort = CohortFactory(time_zone="Asia/Seoul")
    make_deadline(cohort, date(2025, 3, 20))
    counts = []
    with time_machine.travel(utc(2025, 3, 13, 0, 0), tick=False):
        for _round in range(3):
            MembershipFactory.create_batch(5, cohort=cohort)
            Notification.objects.all().delete()
            with CaptureQueriesContext(connection) as queries:
                queue_reminders(cohort_id=cohort.pk, batch_size=5)
            counts.append(len(queries))
    per_batch = counts[1] - counts[0]
    assert counts[2] - counts[1] == per_batch
    # Read the batch; newest offsets sent; weeks done; insert; ids created (+ savepoint pair).
    assert per_batch <= 7
    assert Notification.objects.count() == 15


def test_a_cohort_without_offsets_sends_no_reminders(dls, dispatch):
    cohort = CohortFactory(time_zone="Asia/Seoul", reminder_offsets=[])
    make_deadline(cohort, date(2025, 3, 20))
    MembershipFactory(cohort=cohort)
    assert dispatch(cohort, utc(2025, 3, 19, 0, 0)) == set()
