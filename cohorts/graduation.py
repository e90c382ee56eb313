"""Graduation: all three pillars approved, each by its deadline. Granted and revoked here only."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent, Membership, Submission
from .pillars import SUBMISSION_MODELS, Pillar, pillar_deadline, pillar_state


def graduation_gaps(membership: Membership) -> list[str]:
    """What still stands between the participant and graduation; empty when they qualify."""
    if not membership.is_participant:
        return [_("Only participants graduate.")]
    if membership.status not in {Membership.Status.ACTIVE, Membership.Status.GRADUATED}:
        return [_("Only active participants graduate.")]
    deadlines = list(membership.cohort.deadlines.all())
    extensions = dict(membership.extensions.values_list("deadline_id", "due_at"))
    gaps = []
    for pillar in Pillar:
        if pillar_state(membership, pillar) != Membership.PillarState.APPROVED:
            gaps.append(_("%(pillar)s is not approved yet.") % {"pillar": pillar.label})
            continue
        if pillar == Pillar.THEORY:
            met_at = membership.theory_completed_at
        else:
            met_at = (
                SUBMISSION_MODELS[pillar].objects.filter(
                    membership=membership, status=Submission.Status.APPROVED
                )
                .values_list("submitted_at", flat=True)
                .first()
            )
        covering = pillar_deadline(deadlines, pillar, extensions)
        if met_at is None:
            gaps.append(_("%(pillar)s is not complete.") % {"pillar": pillar.label})
        elif covering is not None and met_at > covering[1]:
            gaps.append(_("%(pillar)s was not met by its deadline.") % {"pillar": pillar.label})
    return gaps


@transaction.atomic
def update_graduation(*, membership: Membership, actor=None, reason: str = "") -> bool:
    """Graduate a participant who qualifies, or revert one who no longer does.

    Returns True if the status changed; running it again changes nothing.
    """
    membership = (
        Membership.objects.select_for_update(of=("self",)).select_related("cohort")
        .get(pk=membership.pk)
    )
    qualifies = not graduation_gaps(membership)
    graduated = membership.status == Membership.Status.GRADUATED
    if qualifies == graduated:
        return False
    now = timezone.now()
    if qualifies:
        membership.status, membership.graduated_at = Membership.Status.GRADUATED, now
        membership.status_reason = ""
        action = AuditEvent.Action.GRADUATED
    else:
        membership.status, membership.graduated_at = Membership.Status.ACTIVE, None
        action = AuditEvent.Action.GRADUATION_REVOKED
    membership.status_changed_at = now
    membership.save(update_fields=["status", "graduated_at", "status_reason", "status_changed_at"])
    AuditEvent.objects.create(
        cohort_id=membership.cohort_id, membership=membership, actor=actor, action=action,
        reason=reason, created_at=now,
    )
    return True
