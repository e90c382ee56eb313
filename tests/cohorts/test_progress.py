import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohorts.models import Membership, WeekCompletion
from cohorts.progress import tick_week, untick_week
from cohorts.status import eliminate

pytestmark = pytest.mark.django_db


def refreshed(membership):
    return Membership.objects.get(pk=membership.pk)


def test_ticking_twice_records_one_completion_and_keeps_the_first_time(participant, weeks):
    first = tick_week(membership=participant, week=weeks[0])
    again = tick_week(membership=participant, week=weeks[0])
    assert again.pk == first.pk and again.completed_at == first.completed_at
    assert WeekCompletion.objects.filter(membership=participant).count() == 1
    assert refreshed(participant).weeks_done == 1


def test_tick_time_is_the_servers_clock(participant, weeks):
    with time_machine.travel("2026-03-01 10:00:00+00:00", tick=False):
        completion = tick_week(membership=participant, week=weeks[0])
    assert completion.completed_at.isoformat() == "2026-03-01T10:00:00+00:00"
    assert refreshed(participant).last_activity_at == completion.completed_at


def test_completion_time_is_the_last_required_tick(participant, weeks):
    for day, week in enumerate(weeks, start=1):
        with time_machine.travel(f"2026-03-{day:02d} 12:00:00+00:00", tick=False):
            tick_week(membership=participant, week=week)
    membership = refreshed(participant)
    assert membership.weeks_done == 17
    assert membership.theory_completed_at.isoformat() == "2026-03-17T12:00:00+00:00"
    assert membership.finish_seq == 1


def test_unticking_clears_the_completion_and_finishing_again_is_later(participant, weeks):
    for week in weeks:
        tick_week(membership=participant, week=week)
    first_finish = refreshed(participant).theory_completed_at
    untick_week(membership=participant, week=weeks[3])
    membership = refreshed(participant)
    assert (membership.weeks_done, membership.theory_completed_at, membership.finish_seq) == (16, None, None)
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1)):
        tick_week(membership=participant, week=weeks[3])
    membership = refreshed(participant)
    assert membership.theory_completed_at > first_finish
    assert membership.finish_seq == 2


def test_an_eliminated_participant_cannot_tick_or_untick(participant, weeks):
    tick_week(membership=participant, week=weeks[0])
    eliminate(membership=participant, reason="Missed Mission 1")
    with pytest.raises(ValidationError):
        tick_week(membership=participant, week=weeks[1])
    with pytest.raises(ValidationError):
        untick_week(membership=participant, week=weeks[0])
    assert refreshed(participant).weeks_done == 1


def test_organizers_do_not_tick(organizer, weeks):
    with pytest.raises(ValidationError):
        tick_week(membership=organizer, week=weeks[0])


def test_a_week_of_another_specialization_is_refused(participant, weeks):
    from courses.models import Course, Specialization, Week

    other = Specialization.objects.create(slug="other", name="Other")
    week = Week.objects.create(course=Course.objects.create(specialization=other, number=1, title="X"), number=1, title="Y")
    with pytest.raises(ValidationError):
        tick_week(membership=participant, week=week)
    assert not WeekCompletion.objects.exists()
