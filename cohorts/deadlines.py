"""What each deadline asks of one participant, and whether they have it."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case, Count, DateTimeField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from courses.models import Week

from .models import Deadline, DeadlineExtension, Membership

SUBMITTED_OR_APPROVED = {Membership.PillarState.SUBMITTED, Membership.PillarState.APPROVED}


@dataclass(frozen=True)
class DeadlineProgress:
    deadline: Deadline
    due_at: datetime  # with the participant's extension, if any
    required: int  # theory weeks required (1 for the other pillars)
    done: int

    @property
    def remaining(self) -> int:
        return max(self.required - self.done, 0)

    @property
    def met(self) -> bool:
        return self.remaining == 0

    @property
    def extended(self) -> bool:
        return self.due_at != self.deadline.due_at

    @property
    def overdue(self) -> bool:
        return not self.met and self.due_at < timezone.now()


def pillar_met(membership: Membership, kind: str) -> bool:
    """Whether the evidence a non-theory deadline asks for is in (verification may follow)."""
    if kind == Deadline.Kind.CERTIFICATE:
        return membership.certificate_state in SUBMITTED_OR_APPROVED
    if kind == Deadline.Kind.KAGGLE:
        return membership.kaggle_state in SUBMITTED_OR_APPROVED
    return membership.status == Membership.Status.GRADUATED


def progress_for(
    membership: Membership,
    deadlines: Iterable[Deadline],
    weeks: Iterable[Week],
    completed_week_ids: set[int],
    extensions: dict[int, datetime] | None = None,
) -> list[DeadlineProgress]:
    """Every deadline of the cohort as this participant stands against it, in due order."""
    extensions = extensions or {}
    weeks = list(weeks)
    result = []
    for deadline in deadlines:
        if deadline.kind == Deadline.Kind.THEORY:
            required = [w for w in weeks if w.course.number <= deadline.through_course]
            done = sum(1 for w in required if w.pk in completed_week_ids)
            total = len(required)
        else:
            total, done = 1, int(pillar_met(membership, deadline.kind))
        due_at = extensions.get(deadline.pk, deadline.due_at)
        result.append(DeadlineProgress(deadline=deadline, due_at=due_at, required=total, done=done))
    return sorted(result, key=lambda p: (p.due_at, p.deadline.pk))


def next_unmet(progress: list[DeadlineProgress]) -> DeadlineProgress | None:
    """The participant's next deadline that still asks for something, missed ones first."""
    return next((p for p in progress if not p.met), None)


def facing(memberships: QuerySet, deadline: Deadline) -> QuerySet:
    """Annotate `due` (with the participant's extension) and `remaining` against `deadline`.

    Both come from the database, so a page or a batch of any size costs one query.
    `remaining` counts required weeks not done for a theory checkpoint, 1 or 0 otherwise.
    """
    extension = DeadlineExtension.objects.filter(
        membership=OuterRef("pk"), deadline=deadline
    ).values("due_at")[:1]
    memberships = memberships.annotate(
        due=Coalesce(Subquery(extension), Value(deadline.due_at), output_field=DateTimeField())
    )
    if deadline.kind == Deadline.Kind.THEORY:
        required = Week.objects.of(deadline.cohort.specialization_id).through_course(
            deadline.through_course
        ).count()
        done = Count(
            "completions",
            filter=Q(
                completions__week__course__specialization_id=deadline.cohort.specialization_id,
                completions__week__course__number__lte=deadline.through_course,
            ),
        )
        return memberships.annotate(remaining=Value(required) - done)
    if deadline.kind == Deadline.Kind.CERTIFICATE:
        met = Q(certificate_state__in=SUBMITTED_OR_APPROVED)
    elif deadline.kind == Deadline.Kind.KAGGLE:
        met = Q(kaggle_state__in=SUBMITTED_OR_APPROVED)
    else:
        met = Q(status=Membership.Status.GRADUATED)
    return memberships.annotate(
        remaining=Case(When(met, then=Value(0)), default=Value(1), output_field=IntegerField())
    )
