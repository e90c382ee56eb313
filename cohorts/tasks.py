"""Celery tasks: thin, take ids, safe to run twice."""

from smtplib import SMTPException

from celery import shared_task

from .digest import queue_digests
from .notifications import deliver, mark_failed
from .reminders import cohorts_with_reminders_due, queue_reminders, requeue_stranded

# Worth another try later: the mail server or the network, not the message itself.
TRANSIENT_ERRORS = (SMTPException, OSError)


@shared_task(
    bind=True, autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True, retry_backoff_max=600, max_retries=5,
)
def send_notification(self, notification_id: int) -> bool:
    try:
        return deliver(notification_id=notification_id)
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= self.max_retries:
            mark_failed(notification_id=notification_id, error=repr(error))
            return False
        raise
    except Exception as error:
        # A missing template or a bad context fails the same way on every retry.
        mark_failed(notification_id=notification_id, error=repr(error))
        raise


@shared_task
def dispatch_reminders() -> int:
    """Hourly (beat): one task per cohort that has reminders to consider."""
    requeue_stranded()
    cohort_ids = cohorts_with_reminders_due()
    for cohort_id in cohort_ids:
        remind_cohort.delay(cohort_id)
    return len(cohort_ids)


@shared_task
def remind_cohort(cohort_id: int) -> int:
    # The clock is read here, never passed in: a task redelivered late must not act on an
    # earlier hour and send an older offset after a newer one went out.
    return queue_reminders(cohort_id=cohort_id)


@shared_task
def dispatch_digests() -> int:
    """Hourly (beat): each cohort's organizers get one digest per local day, at its hour."""
    return queue_digests()


@shared_task
def run_eliminations() -> int:
    """Eliminate everyone who missed a closed deadline, in every cohort; safe to run twice."""
    from .eliminations import eliminate_overdue

    return eliminate_overdue()


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def send_invitation(invitation_id: int) -> bool:
    from .invitations import deliver_invitation

    return deliver_invitation(invitation_id=invitation_id)
