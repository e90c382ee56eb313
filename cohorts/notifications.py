"""Emails we owe people: queued as Notification rows, sent at most once by a thin task.

Every notice follows the same path: `queue_notification` writes a row with a unique key
inside the caller's transaction and enqueues its delivery on commit; `deliver` claims the
row under a lock and sends it, so a redelivered task or a second dispatcher run sends nothing.
"""

import hashlib
import logging
import time
from email.utils import parseaddr
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError as BrokerError

from .models import Cohort, Deadline, Notification
from .tokens import Topic, unsubscribe_url

logger = logging.getLogger(__name__)

# After the broker refused a task, stop trying for this long: what is queued meanwhile stays
# pending (the hourly re-queue sends it), and a batch of notices does not wait once per notice.
BROKER_PAUSE_SECONDS = 5.0
_broker_down_until = 0.0


def enqueue(task, ids: list[int]) -> int:
    """Hand one task per id to the broker; returns how many went, stopping at the first failure.

    Whatever was not handed over is still a row waiting in the database (a pending notice, an
    unsent invitation): the broker being down must never fail the action that wrote it.
    """
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.warning("Broker unavailable: %s %s tasks not queued", len(ids), task.name)
        return 0
    for sent, pk in enumerate(ids):
        try:
            task.delay(pk)
        except BrokerError:
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.exception(
                "Broker unavailable: %s %s tasks not queued", len(ids) - sent, task.name
            )
            return sent
    return len(ids)


def enqueue_on_commit(task, ids: list[int]) -> None:
    """`enqueue` once the current transaction commits (instead of `task.delay_on_commit`)."""
    transaction.on_commit(partial(enqueue, task, list(ids)))


def queue_notification(
    *,
    key: str,
    kind: str,
    user,
    cohort: Cohort | None = None,
    deadline: Deadline | None = None,
    context: dict | None = None,
) -> Notification | None:
    """Record a notice under `key` and send it after commit; None if the key was already used."""
    from .tasks import send_notification

    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key, kind=kind, user=user, cohort=cohort, deadline=deadline,
                context=context or {},
            )
    except IntegrityError:
        return None
    enqueue_on_commit(send_notification, [notification.pk])
    return notification


# Notices a user may opt out of, and the flag on User that the unsubscribe link turns off.
UNSUBSCRIBE_TOPICS = {
    Notification.Kind.REMINDER: Topic.REMINDERS,
    Notification.Kind.NUDGE: Topic.REMINDERS,
    Notification.Kind.DIGEST: Topic.DIGEST,
}


def message_id(key: str) -> str:
    """The same Message-ID every time a notice is sent, so mail clients show a resend once."""
    digest = hashlib.sha256(f"{settings.SITE_URL} {key}".encode()).hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<notice.{digest}@{domain}>"


def render_email(notification: Notification) -> EmailMultiAlternatives:
    """The message in the recipient's language, with text and HTML parts."""
    user = notification.user
    context = {
        **notification.context,
        "notification": notification,
        "user": user,
        "cohort": notification.cohort,
        "deadline": notification.deadline,
        "site_url": settings.SITE_URL,
    }
    if isinstance(context.get("due_at"), str):
        context["due_at"] = parse_datetime(context["due_at"])
    headers = {"Message-ID": message_id(notification.key), **context.get("headers", {})}
    topic = UNSUBSCRIBE_TOPICS.get(notification.kind)
    if topic:
        url = unsubscribe_url(user_id=user.pk, topic=topic)
        context["unsubscribe_url"] = url
        # RFC 8058: mail clients offer one button that POSTs to this URL.
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    with translation.override(user.language or settings.LANGUAGE_CODE):
        base = f"emails/{notification.kind}"
        subject = render_to_string(f"{base}.subject.txt", context).strip()
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=text,
        to=[user.email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def deliver(*, notification_id: int) -> bool:
    """Send one notification if it is still pending; True if this call sent it.

    The row stays locked while the message goes out, so two workers holding the same task
    cannot both send it. A failed send is counted (attempts, last_error) and committed with
    the row still pending, then the error is raised again for the task to retry.

    Nothing is lost if the worker dies, and nothing is sent twice, except in one window: the
    mail server accepted the message and the worker died before committing `sent`. Then the
    redelivered task sends it again, with the same Message-ID (mail clients show it once).
    """
    with transaction.atomic():
        notification = (
            # Lock only the notification: PostgreSQL refuses FOR UPDATE on the nullable side
            # of the outer joins to cohort and deadline.
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "cohort", "deadline")
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .first()
        )
        if notification is None:
            return False
        notification.attempts += 1
        try:
            render_email(notification).send()
        except Exception as error:
            notification.last_error = repr(error)[:2000]
            notification.save(update_fields=["attempts", "last_error"])
            failure = error
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
            failure = None
    if failure is not None:
        raise failure
    return True


def mark_failed(*, notification_id: int, error: str) -> None:
    """After the last retry (or an error no retry can fix): keep it where organizers see it."""
    Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
        status=Notification.Status.FAILED, last_error=error[:2000]
    )


def unsubscribe(*, user_id: int, topic: Topic) -> bool:
    """Turn off one kind of email for a user; False if it was already off (idempotent)."""
    from .models import User

    still_on = User.objects.filter(pk=user_id, **{topic.value: True})
    return bool(still_on.update(**{topic.value: False}))
