"""Redis (the broker and the cache) stops while people use the app, then comes back.

A private redis-server without persistence, a real Celery worker process on the test database
and an SMTP sink. While Redis is down, participants tick (some finish) and organizers approve,
reject, eliminate and nudge through the views: every request succeeds and commits. The notices
those actions owe are rows left pending; once Redis is back the hourly re-queue hands them to
the worker, and each arrives exactly once.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import AuditEvent, Membership, Notification, WeekCompletion
from cohorts.notifications import BROKER_PAUSE_SECONDS, queue_notification
from cohorts.progress import record_history
from cohorts.reminders import STRANDED_AFTER, requeue_stranded
from cohorts.submissions import submit_certificate
from tests.cohorts.pillar_helpers import certificate_data
from tests.factories import CohortFactory, DeadlineFactory, MembershipFactory, OrganizerFactory

from .conftest import Worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def production_caches(redis_url: str) -> dict:
    """CACHES as bootcamp/settings.py builds them when REDIS_URL is set."""
    import importlib
    import os
    from unittest import mock

    import bootcamp.settings

    with mock.patch.dict(os.environ, {"REDIS_URL": redis_url}):
        module = importlib.reload(bootcamp.settings)
        caches = module.CACHES
    importlib.reload(bootcamp.settings)
    return caches


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_actions_during_a_redis_outage_succeed_and_their_notices_are_sent_once_it_is_back(
    weeks, broker, smtp_sink, settings, workdir
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    settings.EMAIL_TIMEOUT = 5
    # The cache is the same Redis in production: it goes down with the broker.
    settings.CACHES = {
        alias: {**config, "LOCATION": broker.url}
        for alias, config in production_caches(broker.url).items()
    }
    cohort = CohortFactory()
    DeadlineFactory(cohort=cohort, through_course=1)
    organizer = OrganizerFactory(cohort=cohort)
    finishers = MembershipFactory.create_batch(4, cohort=cohort)
    tickers = MembershipFactory.create_batch(4, cohort=cohort)
    reviewed = MembershipFactory.create_batch(4, cohort=cohort)
    eliminated = MembershipFactory.create_batch(2, cohort=cohort)
    nudged = MembershipFactory.create_batch(3, cohort=cohort)
    a_day_ago = timezone.now() - timedelta(days=1)
    for finisher in finishers:
        record_history(membership=finisher, ticks=[(w, a_day_ago) for w in weeks[:-1]])
    submissions = [submit_certificate(membership=m, **certificate_data()) for m in reviewed]

    worker = Worker(broker_url=broker.url, smtp_port=smtp_sink.port, log=workdir / "worker.log",
                    concurrency=1)
    try:
        worker.start()
        # The pipeline works before the outage.
        before = queue_notification(
            key="digest:before-outage", kind=Notification.Kind.DIGEST, user=organizer.user,
            cohort=cohort, context={"date": "", "counts": {}, "console_url": "/"},
        )
        wait_for(lambda: smtp_sink.count() == 1, 60, "the notice sent before the outage")

        broker.stop()
        org = signed_in(organizer.user)
        slowest, started = 0.0, time.monotonic()

        def post(client, url, data=None):
            nonlocal slowest
            began = time.monotonic()
            response = client.post(url, data or {})
            slowest = max(slowest, time.monotonic() - began)
            assert response.status_code == 302, (url, response.status_code)
            return response

        for member in finishers:
            post(signed_in(member.user), reverse("cohorts:tick", args=[cohort.slug, weeks[-1].pk]))
        for member in tickers:
            client = signed_in(member.user)
            for week in weeks[:3]:
                post(client, reverse("cohorts:tick", args=[cohort.slug, week.pk]))
        for submission, decision in zip(submissions, ["approve", "reject", "approve", "reject"]):
            post(org, reverse("cohorts:verify-decide",
                              args=[cohort.slug, "certificate", submission.pk, decision]),
                 {"reason": "Checked against the issuer"})
        for member in eliminated:
            post(org, reverse("cohorts:organize-eliminate", args=[cohort.slug, member.pk]),
                 {"reason": "Asked to leave"})
        post(org, reverse("cohorts:organize-nudge", args=[cohort.slug]),
             {"members": [m.pk for m in nudged], "message": "Keep going"})
        # Pages that read through the cache still render, computed without it.
        reader = signed_in(finishers[0].user)
        for url in (reverse("cohorts:dashboard", args=[cohort.slug]),
                    reverse("cohorts:leaderboard", args=[cohort.slug]),
                    reverse("cohorts:leaderboard-json", args=[cohort.slug])):
            assert reader.get(url).status_code == 200, url
        assert org.get(reverse("cohorts:organize", args=[cohort.slug])).status_code == 200
        outage = time.monotonic() - started

        # Everything the requests did is committed.
        assert [m.finish_seq for m in Membership.objects.filter(pk__in=[f.pk for f in finishers])
                .order_by("finish_seq")] == [1, 2, 3, 4]
        assert WeekCompletion.objects.filter(membership__in=tickers).count() == 4 * 3
        assert AuditEvent.objects.filter(
            cohort=cohort, action__in=["approved", "rejected", "eliminated", "nudged"]
        ).count() == 4 + 2 + 3
        owed = Notification.objects.exclude(pk=before.pk)
        assert owed.count() == 4 + 2 + 3
        assert set(owed.values_list("status", "attempts")) == {("pending", 0)}
        assert smtp_sink.count() == 1

        broker.start()
        # Nothing was queued while Redis was down, and what it held died with it: only the
        # hourly re-queue (part of dispatch_reminders) brings these notices back. (Wait out the
        # pause after a broker failure too: the hourly run comes long after it.)
        time.sleep(BROKER_PAUSE_SECONDS)
        assert smtp_sink.count() == 1
        with time_machine.travel(timezone.now() + STRANDED_AFTER + timedelta(minutes=1)):
            assert requeue_stranded() == 4 + 2 + 3
        expected = sorted(
            [organizer.user.email]
            + [m.user.email for m in reviewed + eliminated + nudged]
        )
        wait_for(lambda: smtp_sink.count() >= len(expected), 90, "the re-queued notices")
        # A notice is marked sent just after the sink accepts it.
        wait_for(lambda: not owed.filter(status="pending").exists(), 30, "the notices marked sent")
        # A second hourly run finds nothing left; nothing more arrives.
        with time_machine.travel(timezone.now() + 2 * STRANDED_AFTER):
            assert requeue_stranded() == 0
        time.sleep(2)
    finally:
        worker.stop()

    assert sorted(smtp_sink.recipients()) == expected, "each notice exactly once"
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
    print(
        f"\nRedis down: {len(finishers) + len(tickers) * 3} ticks ({len(finishers)} finishes) and "
        f"9 organizer actions in {outage:.2f}s (slowest request {slowest:.2f}s), none failed; "
        f"{len(expected) - 1} notices owed, {smtp_sink.count() - 1} sent after Redis came back, "
        f"0 lost, 0 twice"
    )
