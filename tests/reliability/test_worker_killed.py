"""A Celery worker SIGKILLed in the middle of 1,000 reminders, then started again.

Real processes: a private redis-server (the broker), `celery worker` (prefork, 2 processes) on
the test database, an SMTP sink. The whole worker (main process and pool) is killed at once,
as the kernel's OOM killer or a lost machine would, once about a third of the reminders are out.
Its unacknowledged tasks stay in Redis (acks_late) and are handed to the restarted worker when
the visibility timeout (shortened for the test) runs out. At two thirds a single pool process
is killed: the surviving main process puts its task back (reject_on_worker_lost). Every row
is checked again under its lock before it is sent.
"""

import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from redis import Redis

from cohorts.models import Membership, Notification, User
from cohorts.reminders import STRANDED_AFTER, requeue_stranded
from cohorts.tasks import dispatch_reminders
from tests.factories import CohortFactory, DeadlineFactory

from .conftest import Worker, children, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

REMINDERS = 1000
CONCURRENCY = 2
VISIBILITY_TIMEOUT = 8


def cohort_owed_reminders(count: int):
    """`count` participants facing a checkpoint due in two days: each is owed one reminder."""
    cohort = CohortFactory(time_zone="Asia/Seoul")
    local_today = timezone.now().astimezone(cohort.tz).date()
    deadline = DeadlineFactory(
        cohort=cohort, through_course=1, due_at=cohort.end_of_day(local_today + timedelta(days=2))
    )
    users = User.objects.bulk_create(
        [User(email=f"racer{n:04d}@example.com", name=f"Racer {n}", password="!")
         for n in range(count)]
    )
    Membership.objects.bulk_create(
        [Membership(cohort=cohort, user=u, display_name=f"Racer {n}") for n, u in enumerate(users)]
    )
    return cohort, deadline, sorted(u.email for u in users)


def unrecorded(mailbox) -> set[str]:
    """Recipients the SMTP server accepted whose notification is not committed as sent."""
    accepted = set(mailbox.recipients())
    recorded = set(Notification.objects.filter(status="sent").values_list("user__email", flat=True))
    assert recorded <= accepted
    return accepted - recorded


def test_a_worker_killed_mid_run_loses_no_reminder_and_sends_each_once_after_a_restart(
    dls, broker, smtp_sink, workdir
):
    cohort, deadline, expected = cohort_owed_reminders(REMINDERS)
    worker = Worker(
        broker_url=broker.url, smtp_port=smtp_sink.port, log=workdir / "worker.log",
        app="tests.reliability.worker_app", concurrency=CONCURRENCY,
        extra_env={"RELIABILITY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)},
    )
    queue = Redis.from_url(broker.url)
    try:
        worker.start()
        started = time.monotonic()
        dispatch_reminders.delay()

        # 1. The whole worker, main process and pool, at a third of the run.
        wait_for(lambda: smtp_sink.count() >= REMINDERS // 3, 120, "a third of the reminders")
        worker.kill()
        killed_after = time.monotonic() - started
        time.sleep(1)  # PostgreSQL notices the dead connections and rolls their work back
        at_kill = smtp_sink.count()
        in_the_window = unrecorded(smtp_sink)
        assert len(in_the_window) <= CONCURRENCY
        time.sleep(1)
        assert smtp_sink.count() == at_kill < REMINDERS, "the whole worker died mid-run"

        # 2. Restarted; at two thirds one pool process is killed: the main process sees the
        # worker lost and, with reject_on_worker_lost, puts its task back at once.
        worker.start()
        wait_for(lambda: smtp_sink.count() >= 2 * REMINDERS // 3, 240, "two thirds")
        pool = sorted(children(worker.process.pid))
        assert len(pool) == CONCURRENCY
        os.kill(pool[0], signal.SIGKILL)
        time.sleep(0.5)
        second_window = unrecorded(smtp_sink)
        assert len(second_window) <= CONCURRENCY
        in_the_window |= second_window
        assert worker.process.poll() is None

        # Drained: nothing queued, nothing held unacknowledged by a dead worker.
        wait_for(
            lambda: not queue.llen("celery") and not queue.hlen("unacked")
            and not Notification.objects.filter(status="pending", attempts__gt=0).exists(),
            240, "the queue to drain",
        )
        # The hourly re-queue sends whatever lost its task (a kill between a batch's commit
        # and its enqueue); then nothing is left pending.
        with time_machine.travel(timezone.now() + STRANDED_AFTER + timedelta(minutes=1)):
            stranded = requeue_stranded()
        wait_for(
            lambda: not Notification.objects.filter(status="pending").exists(), 120,
            "every notification sent",
        )
        elapsed = time.monotonic() - started
        time.sleep(2)
        assert not queue.llen("celery") and not queue.hlen("unacked"), "nothing left to redeliver"
        assert len(children(worker.process.pid)) == CONCURRENCY, "the pool was replenished"
    finally:
        worker.stop()
        queue.close()

    received = Counter(smtp_sink.recipients())
    duplicates = {address: n for address, n in received.items() if n > 1}
    lost = set(expected) - set(received)
    print(
        f"\nworker SIGKILLed {killed_after:.1f}s in with {at_kill}/{REMINDERS} reminders at the "
        f"sink, then one pool process at 2/3; {len(in_the_window)} messages were accepted by "
        f"SMTP but not committed when a process died; {stranded} re-queued as stranded. "
        f"Result: {len(received)}/{REMINDERS} recipients, {sum(received.values())} messages, "
        f"{len(lost)} lost, {sum(duplicates.values()) - len(duplicates)} sent twice, "
        f"{elapsed:.1f}s in all"
    )
    assert lost == set()
    assert sorted(received) == expected
    assert Notification.objects.filter(kind="reminder", deadline=deadline).count() == REMINDERS
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    # The one window deliver() leaves (see its docstring): a message the mail server had
    # accepted when its worker died, before the worker committed it. Only such a message is
    # sent again, once, and with the same Message-ID.
    assert set(duplicates) <= in_the_window and set(duplicates.values()) <= {2}
    ids = {}
    for message in smtp_sink.messages:
        ids.setdefault(message["To"], set()).add(message["Message-ID"])
    assert all(len(one) == 1 for one in ids.values()), "a resend keeps its Message-ID"
    assert len({next(iter(one)) for one in ids.values()}) == REMINDERS


def test_a_notice_keeps_its_message_id_when_it_is_sent_again(dls):
    from cohorts.notifications import render_email
    from tests.factories import OrganizerFactory

    organizer = OrganizerFactory()
    context = {"date": "", "counts": {}, "console_url": "/"}
    one, other = (
        Notification.objects.create(
            key=key, kind="digest", user=organizer.user, cohort=organizer.cohort, context=context
        )
        for key in ("digest:one", "digest:other")
    )
    first, again = render_email(one).message(), render_email(one).message()
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != render_email(other).message()["Message-ID"]
    assert first["Message-ID"].endswith("@localhost>")
