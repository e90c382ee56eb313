from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core import mail
from django.template import TemplateDoesNotExist

from cohorts.models import Notification
from cohorts.notifications import deliver, queue_notification
from cohorts.tasks import send_notification

pytestmark = pytest.mark.django_db

DIGEST = {"date": "2025-03-19", "counts": {}, "console_url": "/"}


class DisconnectingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def digest(user, cohort, kind=Notification.Kind.DIGEST) -> Notification:
    return Notification.objects.create(
        key=f"{kind}:{user.pk}", kind=kind, user=user, cohort=cohort, context=DIGEST
    )


def test_a_failed_send_is_counted_and_left_pending_for_the_retry(organizer, settings):
    notification = digest(organizer.user, organizer.cohort)
    settings.EMAIL_BACKEND = "tests.cohorts.test_notifications.DisconnectingBackend"
    with pytest.raises(SMTPServerDisconnected):
        deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1 and "unexpectedly closed" in notification.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver(notification_id=notification.pk)
    assert not deliver(notification_id=notification.pk)  # sent once, never again
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 2 and notification.last_error == ""
    assert len(mail.outbox) == 1


def test_a_notice_that_cannot_be_rendered_fails_at_once_without_retrying(participant, settings, tmp_path):
    # A deployment whose email templates are missing: nothing a retry could fix.
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path], "APP_DIRS": False}]
    notification = digest(participant.user, participant.cohort, kind=Notification.Kind.DIGEST)
    with pytest.raises(TemplateDoesNotExist):
        send_notification.delay(notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1 and "TemplateDoesNotExist" in notification.last_error


def test_emails_are_written_in_the_recipients_language(organizer, django_capture_on_commit_callbacks):
    organizer.user.language = "ko"
    organizer.user.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        queue_notification(
            key="digest:ko", kind=Notification.Kind.DIGEST, user=organizer.user,
            cohort=organizer.cohort, context=DIGEST,
        )
    html = mail.outbox[0].alternatives[0][0]
    assert '<html lang="ko">' in html


def test_the_hourly_run_queues_again_a_notice_whose_task_was_lost(organizer):
    from datetime import timedelta

    from django.utils import timezone

    from cohorts.tasks import dispatch_reminders

    lost = digest(organizer.user, organizer.cohort)
    Notification.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=2))
    fresh = Notification.objects.create(
        key="digest:fresh", kind=Notification.Kind.DIGEST, user=organizer.user,
        cohort=organizer.cohort, context=DIGEST,
    )
    dispatch_reminders.delay()
    assert Notification.objects.get(pk=lost.pk).status == Notification.Status.SENT
    assert Notification.objects.get(pk=fresh.pk).status == Notification.Status.PENDING  # in flight


def test_the_hourly_run_also_queues_a_lost_retry_and_a_stranded_invitation(organizer):
    from datetime import timedelta

    from django.utils import timezone

    from cohorts.models import Invitation
    from cohorts.reminders import requeue_stranded

    long_ago = timezone.now() - timedelta(hours=2)
    retried = digest(organizer.user, organizer.cohort)
    Notification.objects.filter(pk=retried.pk).update(
        created_at=long_ago, attempts=2, last_error="SMTPServerDisconnected()"
    )
    invitation = Invitation.objects.create(
        cohort=organizer.cohort, email="invitee@example.com", role="participant",
        created_at=long_ago,
    )
    accepted = Invitation.objects.create(
        cohort=organizer.cohort, email="joined@example.com", role="participant",
        created_at=long_ago, accepted_at=long_ago,
    )

    assert requeue_stranded() == 2
    assert Notification.objects.get(pk=retried.pk).status == Notification.Status.SENT
    invitation.refresh_from_db()
    accepted.refresh_from_db()
    assert invitation.sent_at is not None and accepted.sent_at is None
    assert sorted(m.to[0] for m in mail.outbox) == ["invitee@example.com", organizer.user.email]
    assert requeue_stranded() == 0
