"""Eliminations when a deadline passes, their preview, and per-participant extensions.

A participant is eliminated for a deadline once: when an organizer reinstates them, later
runs leave them alone for that deadline (the audit record of the elimination says so).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Week

from .deadlines import SUBMITTED_OR_APPROVED
from .models import AuditEvent, Cohort, Deadline, DeadlineExtension, Membership
from .status import eliminate


def grace(cohort: Cohort) -> timedelta:
    return timedelta(hours=cohort.grace_hours)


def closes_at(deadline: Deadline) -> datetime:
    """The moment after which missing `deadline` eliminates: its due moment plus the grace."""
    return deadline.due_at + grace(deadline.cohort)


def missed(deadline: Deadline, *, now: datetime):
    """Active participants who would be eliminated for `deadline` if it closed at `now`.

    Not counted: those whose own extension (plus the grace period) has not passed, those who
    joined after the deadline, and those already eliminated for it once (then reinstated).
    """
    cohort = deadline.cohort
    queryset = cohort.memberships.participants().active().filter(joined_at__lt=deadline.due_at)
    if deadline.kind == Deadline.Kind.THEORY:
        required = Week.objects.of(cohort.specialization_id).through_course(
            deadline.through_course
        ).count()
        queryset = queryset.annotate(
            deadline_done=Count(
                "completions",
                filter=Q(completions__week__course__number__lte=deadline.through_course),
            )
        ).filter(deadline_done__lt=required)
    elif deadline.kind == Deadline.Kind.CERTIFICATE:
        queryset = queryset.exclude(certificate_state__in=SUBMITTED_OR_APPROVED)
    elif deadline.kind == Deadline.Kind.KAGGLE:
        queryset = queryset.exclude(kaggle_state__in=SUBMITTED_OR_APPROVED)
    extended = DeadlineExtension.objects.filter(
        membership=OuterRef("pk"), deadline=deadline, due_at__gt=now - grace(cohort)
    )
    already = AuditEvent.objects.filter(
        membership=OuterRef("pk"), action=AuditEvent.Action.ELIMINATED,
        data__deadline_id=deadline.pk,
    )
    return queryset.filter(~Exists(extended), ~Exists(already)).select_related("user")


@dataclass
class DeadlinePreview:
    deadline: Deadline
    closes_at: datetime
    passed: bool
    count: int


def preview(*, cohort: Cohort, now: datetime | None = None) -> list[DeadlinePreview]:
    """For each deadline, how many would be eliminated if it closed now (a query per deadline)."""
    now = now or timezone.now()
    result = []
    for deadline in cohort.deadlines.all():
        deadline.cohort = cohort
        result.append(
            DeadlinePreview(
                deadline=deadline,
                closes_at=closes_at(deadline),
                passed=closes_at(deadline) <= now,
                count=missed(deadline, now=now).count(),
            )
        )
    return result


def elimination_reason(deadline: Deadline) -> str:
    return _("Missed the deadline: %(title)s.") % {"title": deadline.title}


def eliminate_overdue(*, now: datetime | None = None, cohort: Cohort | None = None) -> int:
    """Eliminate everyone who missed a deadline that has closed; returns how many. Idempotent.

    Each elimination is its own transaction, so a crash halfway keeps what was done and the
    next run finishes the rest.
    """
    now = now or timezone.now()
    deadlines = Deadline.objects.filter(due_at__lte=now).select_related("cohort")
    if cohort is not None:
        deadlines = deadlines.filter(cohort=cohort)
    eliminated = 0
    for deadline in deadlines.order_by("due_at", "pk"):
        if closes_at(deadline) > now:
            continue
        for membership in missed(deadline, now=now).iterator(chunk_size=500):
            eliminated += eliminate(
                membership=membership,
                reason=elimination_reason(deadline),
                deadline=deadline,
                data={"due_at": deadline.due_at.isoformat(), "automatic": True},
            )
    return eliminated


@transaction.atomic
def extend_deadline(
    *, membership: Membership, deadline: Deadline, due_at: datetime, reason: str, actor=None
) -> DeadlineExtension:
    """Give one participant until `due_at` for one deadline (replacing an earlier extension)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason: it is kept on the record."))
    if deadline.cohort_id != membership.cohort_id or not membership.is_participant:
        raise ValidationError(_("This deadline is not one of this participant's."))
    if due_at <= deadline.due_at:
        raise ValidationError(_("An extension must end after the deadline's own due moment."))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    previous = DeadlineExtension.objects.filter(membership=membership, deadline=deadline).first()
    extension, _created = DeadlineExtension.objects.update_or_create(
        membership=membership, deadline=deadline,
        defaults={"due_at": due_at, "reason": reason, "granted_by": actor},
    )
    AuditEvent.objects.create(
        cohort_id=membership.cohort_id, membership=membership, actor=actor,
        action=AuditEvent.Action.EXTENDED, reason=reason,
        data={
            "deadline_id": deadline.pk,
            "deadline": deadline.title,
            "due_at": due_at.isoformat(),
            "previous": previous.due_at.isoformat() if previous else None,
        },
    )
    return extension
