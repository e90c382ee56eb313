"""Celery tasks: thin, take ids, safe to run twice."""

from smtplib import SMTPException

from celery import shared_task

from .notifications import deliver, mark_failed


@shared_task(
    bind=True, autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True, retry_backoff_max=600, max_retries=5,
)
def send_notification(self, notification_id: int) -> bool:
    try:
        return deliver(notification_id=notification_id)
    except (SMTPException, ConnectionError, TimeoutError) as error:
        if self.request.retries >= self.max_retries:
            mark_failed(notification_id=notification_id, error=repr(error))
            return False
        raise
