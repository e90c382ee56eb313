"""Emails we owe people: queued as Notification rows, sent at most once by a thin task.

Every notice follows the same path: `queue_notification` writes a row with a unique key
inside the caller's transaction and enqueues its delivery on commit; `deliver` claims the
row under a lock and sends it, so a redelivered task or a second dispatcher run sends nothing.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Cohort, Deadline, Notification


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
    send_notification.delay_on_commit(notification.pk)
    return notification


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
    with translation.override(user.language or settings.LANGUAGE_CODE):
        base = f"emails/{notification.kind}"
        subject = render_to_string(f"{base}.subject.txt", context).strip()
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=text,
        to=[user.email],
        headers=context.get("headers", {}),
    )
    message.attach_alternative(html, "text/html")
    return message


def deliver(*, notification_id: int) -> bool:
    """Send one notification if it is still pending; True if this call sent it.

    The row stays locked while the message goes out, so two workers holding the same task
    cannot both send it; an SMTP error rolls back and leaves it pending for the retry.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "cohort", "deadline")
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .first()
        )
        if notification is None:
            return False
        render_email(notification).send()
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.attempts += 1
        notification.save(update_fields=["status", "sent_at", "attempts"])
    return True


def mark_failed(*, notification_id: int, error: str) -> None:
    """After the last retry: keep the error where organizers can see it."""
    Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
        status=Notification.Status.FAILED, last_error=error[:2000], attempts=F("attempts") + 1
    )
