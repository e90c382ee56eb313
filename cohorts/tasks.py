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


# Organizer console (issue 5) -------------------------------------------------------------

@shared_task
def run_eliminations() -> int:
    """Eliminate everyone who missed a closed deadline, in every cohort; safe to run twice."""
    from .eliminations import eliminate_overdue

    return eliminate_overdue()


@shared_task(
    bind=True, autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True, retry_backoff_max=600, max_retries=5,
)
def send_invitation(self, invitation_id: int) -> bool:
    from .invitations import deliver_invitation

    return deliver_invitation(invitation_id=invitation_id)
