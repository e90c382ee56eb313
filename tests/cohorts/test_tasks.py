"""Delivery through a real worker: Redis (database 4) as broker, the test database, a real SMTP
server. Transactional tests, so the worker thread sees what the test committed."""

import email
import logging
import socket
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from bootcamp.celery import app as celery_app
from cohorts.models import Membership, Notification, WeekCompletion
from cohorts.notifications import queue_notification
from cohorts.reminders import queue_reminders, reminder_key
from cohorts.tasks import dispatch_reminders, send_notification
from courses.models import Week
from tests.factories import CohortFactory, DeadlineFactory, MembershipFactory, OrganizerFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and refuses any address with 'bounce'."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if any("bounce" in rcpt for rcpt in envelope.rcpt_tos):
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    @property
    def recipients(self) -> list[str]:
        with self.lock:
            return [m["To"] for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("Timed out waiting for the worker")
        time.sleep(0.05)


@pytest.fixture
def mailbox(settings):
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


@pytest.fixture
def worker():
    """A real worker thread consuming the Redis queue (REDIS_URL, database 4 for this branch)."""
    assert celery_app.conf.broker_url.startswith("redis://"), "worker tests need REDIS_URL"
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        celery_app.conf.task_always_eager = True


def sentinel(user, cohort):
    """A notice queued last: with one solo worker and a FIFO queue, once it arrives, all
    earlier tasks are done."""
    return queue_notification(
        key=f"sentinel:{time.monotonic_ns()}", kind=Notification.Kind.DIGEST, user=user,
        cohort=cohort, context={"date": "", "counts": {}, "console_url": "/"},
    )


@pytest.fixture
def reminder_cohort(dls):
    """120 participants facing a checkpoint due in two days: 100 are owed a 3-day reminder."""
    cohort = CohortFactory(time_zone="Asia/Seoul")
    local_today = timezone.now().astimezone(cohort.tz).date()
    deadline = DeadlineFactory(
        cohort=cohort, through_course=1, due_at=cohort.end_of_day(local_today + timedelta(days=2))
    )
    members = MembershipFactory.create_batch(120, cohort=cohort)
    done, opted_out, eliminated = members[:10], members[10:15], members[15:20]
    course_1 = list(Week.objects.through_course(1))
    WeekCompletion.objects.bulk_create(
        [WeekCompletion(membership=m, week=w, completed_at=timezone.now()) for m in done for w in course_1]
    )
    for m in opted_out:
        m.user.email_reminders = False
        m.user.save(update_fields=["email_reminders"])
    Membership.objects.filter(pk__in=[m.pk for m in eliminated]).update(
        status=Membership.Status.ELIMINATED
    )
    expected = {m.user.email for m in members[20:]}
    return cohort, deadline, members, expected


def test_a_reminder_run_delivers_exactly_the_expected_set_once(
    reminder_cohort, mailbox, worker
):
    cohort, deadline, members, expected = reminder_cohort
    started = time.monotonic()
    dispatch_reminders.delay()
    wait_for(lambda: len(mailbox.messages) >= len(expected))
    elapsed = time.monotonic() - started
    wait_for(lambda: not Notification.objects.filter(status=Notification.Status.PENDING).exists())

    assert sorted(mailbox.recipients) == sorted(expected)
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 100
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert {m["Subject"] for m in mailbox.messages} == {f"[Bootcamp] {deadline.title} is due in 2 days"}
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in mailbox.messages)
    print(f"\n120 participants: 100 reminders dispatched and delivered by the worker in {elapsed:.2f}s")

    # A second dispatcher run, directly and through the worker, and a redelivered send task.
    assert queue_reminders(cohort_id=cohort.pk) == 0
    dispatch_reminders.delay()
    some = Notification.objects.first()
    send_notification.delay(some.pk)
    organizer = OrganizerFactory(cohort=cohort)
    last = sentinel(organizer.user, cohort)
    wait_for(lambda: Notification.objects.get(pk=last.pk).status == Notification.Status.SENT)
    assert len(mailbox.messages) == 101  # the 100 reminders and the sentinel, nothing more
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 100
    assert Notification.objects.get(key=reminder_key(members[20].pk, deadline.pk, 3))


def test_an_smtp_failure_is_retried_then_marked_failed_and_shown_to_organizers(
    dls, mailbox, worker, monkeypatch, client
):
    task = celery_app.tasks["cohorts.tasks.send_notification"]
    monkeypatch.setattr(task, "max_retries", 2)  # backoff 1s then 2s (with jitter)
    cohort = CohortFactory()
    organizer = OrganizerFactory(cohort=cohort)
    bouncing = MembershipFactory(cohort=cohort, user__email="bounce@example.com")
    context = {"date": "", "counts": {}, "console_url": "/"}
    failing = queue_notification(
        key="digest:test:bounce", kind=Notification.Kind.DIGEST, user=bouncing.user,
        cohort=cohort, context=context,
    )
    wait_for(lambda: Notification.objects.get(pk=failing.pk).status != Notification.Status.PENDING, 30)

    failing.refresh_from_db()
    assert failing.status == Notification.Status.FAILED
    assert failing.attempts == 3 and mailbox.refused == 3
    assert "451" in failing.last_error
    assert mailbox.messages == []

    client.force_login(organizer.user)
    page = client.get(reverse("cohorts:failed-notifications", args=[cohort.slug]))
    assert page.status_code == 200
    assert "bounce@example.com" in page.content.decode() and "451" in page.content.decode()
    client.force_login(bouncing.user)
    assert client.get(reverse("cohorts:failed-notifications", args=[cohort.slug])).status_code == 404
