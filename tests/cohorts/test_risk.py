from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine

from cohorts.eliminations import extend_deadline
from cohorts.models import Deadline, Membership
from cohorts.progress import tick_week
from cohorts.risk import (
    CRITICAL_DAYS_LEFT,
    IDLE_DAYS,
    PACE_WINDOW_DAYS,
    Level,
    assess_membership,
    classify,
)
from cohorts.status import eliminate, withdraw
from tests.factories import DeadlineFactory

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=dt_timezone.utc)
SECOND = timedelta(seconds=1)


def level(*, remaining=2, due_in=timedelta(days=10), recent=14, idle=timedelta(days=1),
          status=Membership.Status.ACTIVE, theory=True, started=timedelta(days=30)):
    return classify(
        status=status, remaining=remaining, due_at=NOW + due_in, theory=theory,
        recent_weeks=recent, last_activity_at=NOW - idle if idle is not None else None,
        starts_at=NOW - started, now=NOW,
    )[0]


def test_nothing_remaining_is_done():
    assert level(remaining=0) == Level.DONE


def test_status_wins_over_progress():
    assert level(status=Membership.Status.ELIMINATED, remaining=0) == Level.ELIMINATED
    assert level(status=Membership.Status.WITHDRAWN) == Level.WITHDRAWN
    assert level(status=Membership.Status.GRADUATED, remaining=3) == Level.DONE


def test_critical_below_two_days_left():
    assert level(remaining=1, due_in=timedelta(days=CRITICAL_DAYS_LEFT)) == Level.ON_TRACK
    assert level(remaining=1, due_in=timedelta(days=CRITICAL_DAYS_LEFT) - SECOND) == Level.CRITICAL
    assert level(remaining=1, due_in=-timedelta(hours=1)) == Level.CRITICAL  # missed, not yet closed


def test_critical_when_more_than_a_week_per_day_is_needed():
    # 14 weeks in the last 14 days: one per day, so exactly one per day is still on track.
    assert level(remaining=5, due_in=timedelta(days=5)) == Level.ON_TRACK
    assert level(remaining=5, due_in=timedelta(days=5) - SECOND) == Level.CRITICAL


def test_at_risk_when_the_projected_finish_falls_after_the_deadline():
    # 7 weeks in 14 days = half a week per day: 2 weeks take 4 days.
    assert level(remaining=2, recent=7, due_in=timedelta(days=4)) == Level.ON_TRACK
    assert level(remaining=2, recent=7, due_in=timedelta(days=4) - SECOND) == Level.AT_RISK


def test_no_pace_is_at_risk():
    assert level(remaining=1, recent=0, due_in=timedelta(days=20)) == Level.AT_RISK


def test_at_risk_after_seven_idle_days():
    assert level(idle=timedelta(days=IDLE_DAYS) - SECOND) == Level.ON_TRACK
    assert level(idle=timedelta(days=IDLE_DAYS)) == Level.AT_RISK


def test_idle_time_counts_from_the_cohort_start():
    # A tick before the start does not make the participant idle from then on.
    assert level(idle=timedelta(days=30), started=timedelta(days=3)) == Level.ON_TRACK
    assert level(idle=None, started=timedelta(days=IDLE_DAYS)) == Level.AT_RISK


def test_pillar_deadlines_use_days_left_only():
    assert level(theory=False, remaining=1, recent=0, due_in=timedelta(days=30)) == Level.ON_TRACK
    assert level(theory=False, remaining=1, due_in=timedelta(days=7) - SECOND) == Level.AT_RISK
    assert level(theory=False, remaining=1, due_in=timedelta(days=2) - SECOND) == Level.CRITICAL


def test_projected_finish_and_pace():
    _level, days_left, pace, projected = classify(
        status="active", remaining=3, due_at=NOW + timedelta(days=10), theory=True,
        recent_weeks=7, last_activity_at=NOW, starts_at=NOW - timedelta(days=20), now=NOW,
    )
    assert pace == 7 / PACE_WINDOW_DAYS
    assert days_left == 10
    assert projected == NOW + timedelta(days=6)


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_assessment_from_the_database_with_a_frozen_clock(participant, weeks):
    cohort = participant.cohort
    # Course 1 has 4 weeks; Mission 1 is due ten days after the last tick.
    with time_machine.travel(NOW - timedelta(days=4), tick=False):
        tick_week(membership=participant, week=weeks[0])
        tick_week(membership=participant, week=weeks[1])
    mission = DeadlineFactory(cohort=cohort, through_course=1, due_at=NOW + timedelta(days=4))
    with time_machine.travel(NOW, tick=False):
        risk = assess_membership(participant)
    assert risk.deadline == mission and risk.required == 4 and risk.done == 2
    # 2 weeks in 14 days: 2 remaining weeks take 14 days, after the deadline.
    assert risk.level == Level.AT_RISK
    assert risk.projected_finish == NOW + timedelta(days=14)


@pytestmark_db
def test_an_extension_changes_the_risk(participant, organizer, weeks):
    cohort = participant.cohort
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        for week in weeks[:2]:
            tick_week(membership=participant, week=week)
    mission = DeadlineFactory(cohort=cohort, through_course=1, due_at=NOW + timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        assert assess_membership(participant).level == Level.CRITICAL
        extend_deadline(
            membership=participant, deadline=mission, due_at=NOW + timedelta(days=30),
            reason="Hospital stay", actor=organizer.user,
        )
        risk = assess_membership(participant)
    assert risk.level == Level.ON_TRACK
    assert risk.due_at == NOW + timedelta(days=30)


@pytestmark_db
def test_the_next_unmet_deadline_is_the_missed_one_first(participant, weeks):
    cohort = participant.cohort
    DeadlineFactory(cohort=cohort, through_course=1, due_at=NOW - timedelta(hours=2), title="M1")
    DeadlineFactory(cohort=cohort, through_course=2, due_at=NOW + timedelta(days=20), title="M2")
    with time_machine.travel(NOW, tick=False):
        risk = assess_membership(participant)
    assert risk.deadline.title == "M1" and risk.level == Level.CRITICAL


@pytestmark_db
def test_certificate_deadline_is_met_by_a_submission(participant, weeks):
    cohort = participant.cohort
    DeadlineFactory(cohort=cohort, kind=Deadline.Kind.CERTIFICATE, through_course=None,
                    due_at=NOW + timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        assert assess_membership(participant).level == Level.CRITICAL
        Membership.objects.filter(pk=participant.pk).update(
            certificate_state=Membership.PillarState.SUBMITTED
        )
        participant.refresh_from_db()
        assert assess_membership(participant).level == Level.DONE


@pytestmark_db
def test_eliminated_and_withdrawn_participants_keep_their_status_level(participant, cohort):
    other = type(participant).objects.create(
        user=type(participant.user).objects.create_user("w@example.com"), cohort=cohort,
        display_name="W",
    )
    eliminate(membership=participant, reason="Missed", notify=False)
    withdraw(membership=other, reason="Moved away")
    assert assess_membership(participant).level == Level.ELIMINATED
    assert assess_membership(other).level == Level.WITHDRAWN
