from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from cohorts.eliminations import eliminate_overdue, extend_deadline, missed, preview
from cohorts.models import AuditEvent, Membership, Notification
from cohorts.progress import tick_week
from cohorts.status import eliminate, reinstate, withdraw
from cohorts.tasks import run_eliminations
from tests.factories import DeadlineFactory, MembershipFactory

pytestmark = pytest.mark.django_db

DUE = datetime(2027, 5, 10, 14, 59, 59, tzinfo=dt_timezone.utc)


@pytest.fixture
def mission(cohort):
    return DeadlineFactory(cohort=cohort, title="Mission 1", through_course=1, due_at=DUE)


@pytest.fixture
def finisher(cohort, weeks):
    member = MembershipFactory(cohort=cohort)
    for week in weeks[:4]:  # all of course 1
        tick_week(membership=member, week=week)
    return member


def status(membership):
    return Membership.objects.get(pk=membership.pk).status


def test_elimination_twice_is_once(participant, finisher, mission, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert eliminate_overdue(now=DUE + timedelta(seconds=1)) == 1
        assert eliminate_overdue(now=DUE + timedelta(days=1)) == 0
    assert status(participant) == Membership.Status.ELIMINATED
    assert status(finisher) == Membership.Status.ACTIVE
    event = AuditEvent.objects.get(action=AuditEvent.Action.ELIMINATED)
    assert event.membership == participant and event.data["deadline_id"] == mission.pk
    assert "Mission 1" in event.reason and event.actor is None
    assert Notification.objects.filter(kind=Notification.Kind.ELIMINATION).count() == 1
    assert len(mail.outbox) == 1 and "Mission 1" in mail.outbox[0].body
    assert mail.outbox[0].to == [participant.user.email]


def test_elimination_notice_ignores_the_reminder_opt_out(participant, mission, django_capture_on_commit_callbacks):
    participant.user.email_reminders = False
    participant.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        eliminate_overdue(now=DUE + timedelta(seconds=1))
    assert len(mail.outbox) == 1


def test_nobody_is_eliminated_before_the_due_moment_and_grace(participant, mission, cohort):
    cohort.grace_hours = 6
    cohort.save()
    assert eliminate_overdue(now=DUE) == 0
    assert eliminate_overdue(now=DUE + timedelta(hours=6) - timedelta(seconds=1)) == 0
    assert status(participant) == Membership.Status.ACTIVE
    assert eliminate_overdue(now=DUE + timedelta(hours=6)) == 1


def test_an_extension_postpones_elimination(participant, organizer, mission):
    extend_deadline(
        membership=participant, deadline=mission, due_at=DUE + timedelta(days=3),
        reason="Family emergency", actor=organizer.user,
    )
    assert eliminate_overdue(now=DUE + timedelta(days=1)) == 0
    assert eliminate_overdue(now=DUE + timedelta(days=3, seconds=1)) == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXTENDED)
    assert event.actor == organizer.user and event.reason == "Family emergency"
    assert event.data["deadline_id"] == mission.pk


def test_an_extension_must_be_later_and_have_a_reason(participant, mission):
    with pytest.raises(ValidationError):
        extend_deadline(membership=participant, deadline=mission, due_at=DUE, reason="x")
    with pytest.raises(ValidationError):
        extend_deadline(membership=participant, deadline=mission, due_at=DUE + timedelta(days=1), reason=" ")


def test_reinstatement_is_audited_and_sticks_for_that_deadline(participant, organizer, mission):
    eliminate_overdue(now=DUE + timedelta(seconds=1))
    with pytest.raises(ValidationError):
        reinstate(membership=participant, reason="", actor=organizer.user)
    assert reinstate(membership=participant, reason="Coursera outage", actor=organizer.user)
    assert status(participant) == Membership.Status.ACTIVE
    event = AuditEvent.objects.get(action=AuditEvent.Action.REINSTATED)
    assert event.reason == "Coursera outage" and event.actor == organizer.user
    # The next automatic run does not undo the organizer's decision.
    assert eliminate_overdue(now=DUE + timedelta(days=2)) == 0
    assert status(participant) == Membership.Status.ACTIVE
    # But a later deadline they miss still counts.
    DeadlineFactory(cohort=mission.cohort, through_course=2, due_at=DUE + timedelta(days=10))
    assert eliminate_overdue(now=DUE + timedelta(days=11)) == 1


def test_reinstating_an_active_participant_changes_nothing(participant, organizer):
    assert reinstate(membership=participant, reason="why", actor=organizer.user) is False
    assert not AuditEvent.objects.exists()


def test_withdrawn_participants_are_not_eliminated(participant, mission):
    withdraw(membership=participant, reason="Moved abroad")
    assert eliminate_overdue(now=DUE + timedelta(days=1)) == 0
    assert status(participant) == Membership.Status.WITHDRAWN


def test_late_joiners_are_not_eliminated_for_deadlines_before_they_joined(cohort, mission):
    late = MembershipFactory(cohort=cohort, joined_at=DUE + timedelta(hours=1))
    assert eliminate_overdue(now=DUE + timedelta(days=1)) == 0
    assert status(late) == Membership.Status.ACTIVE


def test_manual_elimination_queues_a_notice_per_elimination(participant, organizer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert eliminate(membership=participant, reason="Plagiarism", actor=organizer.user)
        assert not eliminate(membership=participant, reason="Again", actor=organizer.user)
    assert len(mail.outbox) == 1 and "Plagiarism" in mail.outbox[0].body
    reinstate(membership=participant, reason="Appeal", actor=organizer.user)
    with time_machine.travel(DUE), django_capture_on_commit_callbacks(execute=True):
        eliminate(membership=participant, reason="Plagiarism, confirmed", actor=organizer.user)
    assert len(mail.outbox) == 2


def test_preview_lists_who_would_be_eliminated_if_it_closed_now(participant, finisher, mission, organizer):
    now = DUE - timedelta(days=2)
    (item,) = preview(cohort=mission.cohort, now=now)
    assert item.count == 1 and not item.passed
    assert list(missed(mission, now=now)) == [participant]
    extend_deadline(membership=participant, deadline=mission, due_at=DUE + timedelta(days=5),
                    reason="r", actor=organizer.user)
    assert preview(cohort=mission.cohort, now=now)[0].count == 0


def test_the_task_runs_the_service(participant, mission):
    with time_machine.travel(DUE + timedelta(minutes=1), tick=False):
        assert run_eliminations.delay().get() == 1
