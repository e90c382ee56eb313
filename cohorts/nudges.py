"""Nudges: an organizer sends chosen participants a reminder now."""

import uuid

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, Cohort, Notification
from .notifications import queue_notification


def local_time(cohort: Cohort, moment) -> str:
    """A moment as the cohort reads it, in a form every language can show."""
    if moment is None:
        return ""
    return f"{moment.astimezone(cohort.tz):%Y-%m-%d %H:%M} ({cohort.time_zone})"
from .risk import assess_cohort


@transaction.atomic
def nudge(*, cohort: Cohort, membership_ids: list[int], actor, message: str = "") -> int:
    """Queue one reminder per chosen active participant, listing what is left; returns how many.

    Every nudge action has its own key, so pressing the button again sends again on purpose.
    """
    action = uuid.uuid4().hex
    now = timezone.now()
    chosen = cohort.memberships.participants().active().filter(pk__in=membership_ids)
    events = []
    for row in assess_cohort(cohort, queryset=chosen, now=now):
        membership, risk = row.membership, row.risk
        queue_notification(
            key=f"nudge:{membership.pk}:{action}",
            kind=Notification.Kind.NUDGE,
            user=membership.user,
            cohort=cohort,
            deadline=risk.deadline,
            context={
                "display_name": membership.display_name,
                "message": message,
                "remaining": risk.remaining,
                "theory": bool(risk.deadline and risk.deadline.kind == "theory"),
                "due_local": local_time(cohort, risk.due_at),
                "sender": actor.get_full_name() if actor else "",
            },
        )
        events.append(
            AuditEvent(
                cohort=cohort, membership=membership, actor=actor,
                action=AuditEvent.Action.NUDGED, reason=message,
                data={"nudge": action, "deadline_id": risk.deadline.pk if risk.deadline else None},
                created_at=now,
            )
        )
    AuditEvent.objects.bulk_create(events)
    return len(events)


