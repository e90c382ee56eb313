"""Changes of a participant's status, each audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent, Deadline, Membership, Notification
from .notifications import queue_notification


def _lock(membership: Membership) -> Membership:
    locked = Membership.objects.select_for_update(of=("self",)).select_related("user", "cohort").get(
        pk=membership.pk
    )
    if not locked.is_participant:
        raise ValidationError(_("Only participants have a status to change."))
    return locked


def _set_status(membership: Membership, status: str, reason: str, now) -> None:
    membership.status = status
    membership.status_reason = reason
    membership.status_changed_at = now
    membership.save(update_fields=["status", "status_reason", "status_changed_at"])


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason: it is kept on the record."))
    return reason


@transaction.atomic
def eliminate(
    *,
    membership: Membership,
    reason: str,
    actor=None,
    deadline: Deadline | None = None,
    data: dict | None = None,
    notify: bool = True,
) -> bool:
    """Eliminate an active participant and send the notice; False if they were not active.

    The notice ignores the reminder opt-out: people are always told they were eliminated.
    """
    membership = _lock(membership)
    if membership.status != Membership.Status.ACTIVE:
        return False
    now = timezone.now()
    _set_status(membership, Membership.Status.ELIMINATED, reason, now)
    data = {**(data or {}), **({"deadline_id": deadline.pk} if deadline else {})}
    AuditEvent.objects.create(
        cohort_id=membership.cohort_id, membership=membership, actor=actor,
        action=AuditEvent.Action.ELIMINATED, reason=reason, data=data, created_at=now,
    )
    if notify:
        queue_notification(
            key=f"elimination:{membership.pk}:{deadline.pk if deadline else 'manual'}:"
            f"{now.timestamp():.6f}",
            kind=Notification.Kind.ELIMINATION,
            user=membership.user,
            cohort=membership.cohort,
            deadline=deadline,
            context={"reason": reason, "display_name": membership.display_name},
        )
    return True


@transaction.atomic
def reinstate(*, membership: Membership, reason: str, actor=None) -> bool:
    """Make an eliminated or withdrawn participant active again; False if they already are."""
    reason = _require_reason(reason)
    membership = _lock(membership)
    if membership.status not in {Membership.Status.ELIMINATED, Membership.Status.WITHDRAWN}:
        return False
    now = timezone.now()
    previous = membership.status
    _set_status(membership, Membership.Status.ACTIVE, "", now)
    AuditEvent.objects.create(
        cohort_id=membership.cohort_id, membership=membership, actor=actor,
        action=AuditEvent.Action.REINSTATED, reason=reason, data={"from": previous},
        created_at=now,
    )
    return True


@transaction.atomic
def withdraw(*, membership: Membership, reason: str, actor=None) -> bool:
    """Record that an active participant left the bootcamp; False if they were not active."""
    reason = _require_reason(reason)
    membership = _lock(membership)
    if membership.status != Membership.Status.ACTIVE:
        return False
    now = timezone.now()
    _set_status(membership, Membership.Status.WITHDRAWN, reason, now)
    AuditEvent.objects.create(
        cohort_id=membership.cohort_id, membership=membership, actor=actor,
        action=AuditEvent.Action.WITHDRAWN, reason=reason, created_at=now,
    )
    return True
