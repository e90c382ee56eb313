"""Ticking weeks: the only writers of a membership's progress counters."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Week

from .cache import cached_curriculum
from .graduation import update_graduation
from .models import Cohort, Membership, WeekCompletion


def _lock(membership: Membership) -> Membership:
    # OF self: the joined cohort row stays unlocked, so ticks of a cohort run in parallel; only
    # finishing takes the cohort's lock (_record_finish).
    return (
        Membership.objects.select_for_update(of=("self",)).select_related("cohort")
        .get(pk=membership.pk)
    )


def _check_can_progress(membership: Membership) -> None:
    if not membership.is_participant:
        raise ValidationError(_("Only participants tick weeks."))
    if not membership.can_progress:
        raise ValidationError(
            _("Your progress is read-only because your status is %(status)s.")
            % {"status": membership.get_status_display()}
        )


def _check_week(membership: Membership, week: Week) -> None:
    if week.course.specialization_id != membership.cohort.specialization_id:
        raise ValidationError(_("This week is not part of the cohort's specialization."))


def _recount(membership: Membership, now) -> None:
    """Refresh the counters kept on Membership from the completions themselves."""
    membership.weeks_done = membership.completions.count()
    membership.weeks_done_at = now
    membership.last_activity_at = now


def total_weeks(cohort: Cohort) -> int:
    return cached_curriculum(
        f"total-weeks:{cohort.specialization_id}",
        lambda: Week.objects.of(cohort.specialization_id).count(),
    )


@transaction.atomic
def tick_week(*, membership: Membership, week: Week, note_url: str = "") -> WeekCompletion:
    """Record that the participant finished `week`, at the server's time; idempotent."""
    membership = _lock(membership)
    _check_can_progress(membership)
    _check_week(membership, week)
    existing = WeekCompletion.objects.filter(membership=membership, week=week).first()
    if existing:
        return existing
    now = timezone.now()
    completion = WeekCompletion(membership=membership, week=week, completed_at=now, note_url=note_url)
    # Both rows are at hand (the membership locked) and the pair was just found missing: only
    # the fields' own validation is left to do.
    completion.full_clean(
        exclude=["membership", "week"], validate_unique=False, validate_constraints=False
    )
    completion.save()
    _recount(membership, now)
    if membership.weeks_done == total_weeks(membership.cohort) and membership.finish_seq is None:
        _record_finish(membership)
    membership.save(
        update_fields=[
            "weeks_done", "weeks_done_at", "last_activity_at", "theory_completed_at", "finish_seq"
        ]
    )
    return completion


def _record_finish(membership: Membership) -> None:
    """Number the finish under a lock on the cohort, so positions follow commit order."""
    cohort = Cohort.objects.select_for_update().get(pk=membership.cohort_id)
    cohort.finish_counter += 1
    cohort.save(update_fields=["finish_counter"])
    membership.finish_seq = cohort.finish_counter
    membership.theory_completed_at = timezone.now()


@transaction.atomic
def untick_week(*, membership: Membership, week: Week) -> None:
    """Remove a completion; the theory completion, if any, is cleared with it."""
    membership = _lock(membership)
    _check_can_progress(membership)
    deleted, _rows = WeekCompletion.objects.filter(membership=membership, week=week).delete()
    if not deleted:
        return
    _recount(membership, timezone.now())
    membership.theory_completed_at = None
    membership.finish_seq = None
    membership.save(
        update_fields=[
            "weeks_done", "weeks_done_at", "last_activity_at", "theory_completed_at", "finish_seq"
        ]
    )
    if membership.status == Membership.Status.GRADUATED:
        update_graduation(membership=membership)


@transaction.atomic
def set_week_note(*, membership: Membership, week: Week, note_url: str) -> WeekCompletion:
    """Attach (or clear) the link to the participant's notes for a week they finished."""
    membership = _lock(membership)
    _check_can_progress(membership)
    completion = WeekCompletion.objects.filter(membership=membership, week=week).first()
    if completion is None:
        raise ValidationError(_("Tick the week before adding a link to your notes."))
    completion.note_url = note_url
    completion.full_clean()
    completion.save(update_fields=["note_url"])
    return completion


@transaction.atomic
def record_history(*, membership: Membership, ticks: list[tuple[Week, object]]) -> None:
    """Backfill completions with their original times (roster migrations, demo, benchmarks).

    Finishes are numbered as they are recorded: record finishers in the order they finished.
    """
    membership = _lock(membership)
    WeekCompletion.objects.bulk_create(
        [WeekCompletion(membership=membership, week=week, completed_at=at) for week, at in ticks],
        ignore_conflicts=True,
    )
    times = sorted(membership.completions.values_list("completed_at", flat=True))
    membership.weeks_done = len(times)
    membership.weeks_done_at = membership.last_activity_at = times[-1] if times else None
    if membership.weeks_done == total_weeks(membership.cohort) and membership.finish_seq is None:
        _record_finish(membership)
        membership.theory_completed_at = times[-1]
    membership.save(
        update_fields=[
            "weeks_done", "weeks_done_at", "last_activity_at", "theory_completed_at", "finish_seq"
        ]
    )
