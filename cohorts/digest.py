"""The organizers' daily digest: where the cohort stands and who is behind.

`digest_context` is the one place the digest's numbers come from; it reads a fixed number of
queries for any cohort size and returns plain JSON, stored on the notification as sent.
"""

from datetime import date, datetime, timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from .deadlines import facing
from .models import Cohort, Deadline, Membership, Notification
from .notifications import queue_notification

CRITICAL_WITHIN = timedelta(days=2)
AT_RISK_WITHIN = timedelta(days=7)
NAMES_LISTED = 50


def digest_key(organizer_membership_id: int, day: date) -> str:
    return f"digest:{organizer_membership_id}:{day.isoformat()}"


def _names(rows) -> list[dict]:
    return [{"name": r["display_name"], "remaining": r["remaining"]} for r in rows[:NAMES_LISTED]]


def digest_context(cohort: Cohort, now: datetime) -> dict:
    """Counts per status, and who is behind on the next theory checkpoint (with extensions)."""
    participants = Membership.objects.filter(cohort=cohort).participants()
    counts = dict(participants.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    context = {
        "date": now.astimezone(cohort.tz).date().isoformat(),
        "counts": {status: counts.get(status, 0) for status in Membership.Status.values},
        "failed": Notification.objects.filter(
            cohort=cohort, status=Notification.Status.FAILED
        ).count(),
        "checkpoint": None,
        "critical": [], "critical_count": 0, "at_risk": [], "at_risk_count": 0,
    }
    upcoming = cohort.deadlines.filter(kind=Deadline.Kind.THEORY, due_at__gt=now)
    deadline = upcoming.order_by("due_at").first()
    if deadline is None:
        return context
    deadline.cohort = cohort
    behind = (
        facing(participants.active(), deadline)
        .filter(remaining__gt=0, due__gt=now, due__lte=now + AT_RISK_WITHIN)
        .order_by("-remaining", "display_name")
        .values("display_name", "remaining", "due")
    )
    critical = behind.filter(due__lte=now + CRITICAL_WITHIN)
    at_risk = behind.filter(due__gt=now + CRITICAL_WITHIN)
    context.update(
        checkpoint={"title": deadline.title, "due_at": deadline.due_at.isoformat()},
        critical=_names(critical), critical_count=critical.count(),
        at_risk=_names(at_risk), at_risk_count=at_risk.count(),
    )
    return context


def queue_digests(*, now: datetime | None = None) -> int:
    """One digest per organizer per local day, from the cohort's local hour on.

    Run hourly: the key (organizer, local date) makes the later runs of the day no-ops and
    lets a run after downtime catch up the day's digest.
    """
    now = now or timezone.now()
    today = now.date()
    cohorts = Cohort.objects.filter(
        starts_on__lte=today + timedelta(days=1), ends_on__gte=today - timedelta(days=1)
    )
    queued = 0
    for cohort in cohorts:
        local = now.astimezone(cohort.tz)
        running = cohort.starts_on <= local.date() <= cohort.ends_on
        if not running or local.hour < cohort.reminder_hour:
            continue
        organizers = list(
            Membership.objects.filter(cohort=cohort)
            .organizers()
            .filter(user__is_active=True, user__email_digest=True)
            .select_related("user")
        )
        keys = {o.pk: digest_key(o.pk, local.date()) for o in organizers}
        # Most hourly runs find today's digests already queued and skip the counting.
        sent = set(Notification.objects.filter(key__in=keys.values()).values_list("key", flat=True))
        organizers = [o for o in organizers if keys[o.pk] not in sent]
        if not organizers:
            continue
        context = digest_context(cohort, now)
        context["console_url"] = reverse("cohorts:organize", args=[cohort.slug])
        for organizer in organizers:
            notification = queue_notification(
                key=keys[organizer.pk],
                kind=Notification.Kind.DIGEST,
                user=organizer.user,
                cohort=cohort,
                context=context,
            )
            queued += notification is not None
    return queued
