"""Changes of a participant's status, each audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent, Membership


@transaction.atomic
def eliminate(*, membership: Membership, reason: str, actor=None, data: dict | None = None) -> bool:
    """Eliminate an active participant; returns False if they were not active (idempotent)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_participant:
        raise ValidationError(_("Only participants can be eliminated."))
    if membership.status != Membership.Status.ACTIVE:
        return False
    now = timezone.now()
    membership.status = Membership.Status.ELIMINATED
    membership.status_reason = reason
    membership.status_changed_at = now
    membership.save(update_fields=["status", "status_reason", "status_changed_at"])
    AuditEvent.objects.create(
        cohort_id=membership.cohort_id, membership=membership, actor=actor,
        action=AuditEvent.Action.ELIMINATED, reason=reason, data=data or {}, created_at=now,
    )
    return True
