"""Deadline reminders: who is owed one right now, queued in batches and sent once each.

For each participant and deadline (with their extension) the reminder moments are the
cohort's offsets in days before the due date, at the cohort's local hour. Each hourly run
queues the latest moment that has come, under a key unique per (participant, deadline,
offset): a second run, a missed run caught up, or two workers at once all end with one row.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import Week

from .deadlines import facing
from .models import Cohort, Deadline, Invitation, Membership, Notification, WeekCompletion
from .notifications import enqueue, enqueue_on_commit

BATCH_SIZE = 500
# A notice (or invitation) still pending this long after it was written lost its task: a crash
# between commit and enqueue, a broker outage, or a retry that was never published. Retries
# with backoff are over within minutes, so the hourly run queues it again; delivery itself is
# idempotent (the row is locked and checked while it is sent).
STRANDED_AFTER = timedelta(hours=1)


def reminder_key(membership_id: int, deadline_id: int, offset: int) -> str:
    return f"reminder:{membership_id}:{deadline_id}:{offset}"


def reminder_moment(*, due: datetime, offset: int, tz: ZoneInfo, hour: int) -> datetime:
    """`offset` days before the local due date, at the local hour (daylight saving included)."""
    day = due.astimezone(tz).date() - timedelta(days=offset)
    return datetime.combine(day, time(hour), tzinfo=tz)


def reminder_offset(
    *, due: datetime, now: datetime, tz: ZoneInfo, hour: int, offsets: Iterable[int]
) -> int | None:
    """The latest offset whose moment has come, or None (none yet, or the deadline passed).

    After a missed run only this one is sent: the older offsets are never sent late.
    """
    if now >= due:
        return None
    come = [k for k in offsets if reminder_moment(due=due, offset=k, tz=tz, hour=hour) <= now]
    return min(come, default=None)


def cohort_offsets(cohort: Cohort) -> list[int]:
    return sorted({int(k) for k in cohort.reminder_offsets or [] if int(k) >= 0})


def cohorts_with_reminders_due(*, now: datetime | None = None) -> list[int]:
    """Cohorts with a deadline or an extension still ahead; each checks its own window."""
    now = now or timezone.now()
    ahead = Q(deadlines__due_at__gt=now) | Q(deadlines__extensions__due_at__gt=now)
    cohorts = Cohort.objects.filter(ahead).distinct().values_list("pk", "reminder_offsets")
    return [pk for pk, offsets in cohorts if offsets]


def queue_reminders(
    *, cohort_id: int, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Queue every reminder of the cohort whose moment has come; returns how many are new."""
    now = now or timezone.now()
    cohort = Cohort.objects.get(pk=cohort_id)
    offsets = cohort_offsets(cohort)
    if not offsets:
        return 0
    # Two days of slack cover the local-date arithmetic in any zone.
    horizon = now + timedelta(days=offsets[-1] + 2)
    window = Q(due_at__gt=now, due_at__lte=horizon) | Q(
        extensions__due_at__gt=now, extensions__due_at__lte=horizon
    )
    created = 0
    for deadline in cohort.deadlines.filter(window).distinct():
        deadline.cohort = cohort
        created += _queue_for_deadline(
            deadline=deadline, offsets=offsets, now=now, horizon=horizon, batch_size=batch_size
        )
    return created


def recipients(deadline: Deadline):
    """Participants who may still get reminders for `deadline`, annotated with due and remaining."""
    members = (
        Membership.objects.filter(cohort_id=deadline.cohort_id)
        .participants()
        .active()
        .filter(user__is_active=True, user__email_reminders=True)
    )
    return facing(members, deadline).filter(remaining__gt=0)


def _queue_for_deadline(
    *, deadline: Deadline, offsets: list[int], now: datetime, horizon: datetime, batch_size: int
) -> int:
    cohort = deadline.cohort
    tz, hour = cohort.tz, cohort.reminder_hour
    weeks = []
    if deadline.kind == Deadline.Kind.THEORY:
        weeks = list(
            Week.objects.of(cohort.specialization_id)
            .through_course(deadline.through_course)
            .order_by("course__number", "number")
            .values_list("pk", "course__number", "number", "title")
        )
    rows = (
        recipients(deadline)
        .filter(due__gt=now, due__lte=horizon)
        .order_by("pk")
        .values(
            "pk", "user_id", "due", "remaining", "theory_state", "certificate_state", "kaggle_state"
        )
    )
    moments: dict[datetime, int | None] = {}
    created, last_pk = 0, 0
    while batch := list(rows.filter(pk__gt=last_pk)[:batch_size]):
        last_pk = batch[-1]["pk"]
        due_now = []
        for row in batch:
            if row["due"] not in moments:
                moments[row["due"]] = reminder_offset(
                    due=row["due"], now=now, tz=tz, hour=hour, offsets=offsets
                )
            if moments[row["due"]] is not None:
                due_now.append((row, moments[row["due"]]))
        if due_now:
            created += _queue_batch(
                deadline=deadline, due_now=due_now, offsets=offsets, weeks=weeks, now=now
            )
    return created


def _queue_batch(
    *, deadline: Deadline, due_now: list, offsets: list[int], weeks: list, now: datetime
) -> int:
    """Insert one batch's notifications (a constant number of queries) and enqueue the new ones."""
    from .tasks import send_notification

    membership_ids = [row["pk"] for row, _offset in due_now]
    sent = defaultdict(set)
    for key in Notification.objects.filter(
        key__in=[
            reminder_key(m, deadline.pk, k)
            for m in membership_ids
            for k in offsets
        ]
    ).values_list("key", flat=True):
        _kind, membership_id, _deadline_id, offset = key.split(":")
        sent[int(membership_id)].add(int(offset))
    # Never go back to an older (larger) offset once a newer one went out.
    due_now = [
        (row, k) for row, k in due_now if not any(s <= k for s in sent[row["pk"]])
    ]
    if not due_now:
        return 0
    done = defaultdict(set)
    if weeks:
        for membership_id, week_id in WeekCompletion.objects.filter(
            membership_id__in=[row["pk"] for row, _k in due_now],
            week_id__in=[w[0] for w in weeks],
        ).values_list("membership_id", "week_id"):
            done[membership_id].add(week_id)
    run = uuid.uuid4().hex
    graduation = deadline.kind == Deadline.Kind.GRADUATION
    notifications = [
        Notification(
            key=reminder_key(row["pk"], deadline.pk, offset),
            kind=Notification.Kind.REMINDER,
            user_id=row["user_id"],
            cohort_id=deadline.cohort_id,
            deadline=deadline,
            created_at=now,
            context={
                "run": run,
                "offset": offset,
                "due_at": row["due"].isoformat(),
                "days_left": (row["due"] - now).days,
                "remaining": row["remaining"],
                "weeks": [list(w[1:]) for w in weeks if w[0] not in done[row["pk"]]],
                "pillars": _unverified_pillars(row) if graduation else [],
            },
        )
        for row, offset in due_now
    ]
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        # Rows this run created carry its id; a row another run inserted first does not.
        new_ids = list(
            Notification.objects.filter(
                key__in=[n.key for n in notifications], context__run=run
            ).values_list("pk", flat=True)
        )
        enqueue_on_commit(send_notification, new_ids)
    return len(new_ids)


def _unverified_pillars(row: dict) -> list[str]:
    approved = Membership.PillarState.APPROVED
    return [
        pillar
        for pillar in ("theory", "certificate", "kaggle")
        if row[f"{pillar}_state"] != approved
    ]


def requeue_stranded(*, now: datetime | None = None) -> int:
    """Queue again the pending notices and unsent invitations whose task was lost."""
    from .tasks import send_invitation, send_notification

    before = (now or timezone.now()) - STRANDED_AFTER
    notices = list(
        Notification.objects.filter(status=Notification.Status.PENDING, created_at__lt=before)
        .values_list("pk", flat=True)[:10_000]
    )
    invitations = list(
        Invitation.objects.filter(
            sent_at__isnull=True, accepted_at__isnull=True, created_at__lt=before
        ).values_list("pk", flat=True)[:10_000]
    )
    return enqueue(send_notification, notices) + enqueue(send_invitation, invitations)
