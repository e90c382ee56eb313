"""Races on PostgreSQL: each racer on its own connection (a thread), released by a Barrier.

PostgreSQL's max_connections is shared with everything else on the server, so when there are
more racers than connections to spare, the racers run through a bounded pool of threads that
all start at the same instant and take the next racer as soon as they are done: at every
moment `threads` ticks are in flight, queued on the same cohort lock.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import (
    AuditEvent,
    CertificateSubmission,
    Cohort,
    Membership,
    Notification,
    User,
    WeekCompletion,
)
from cohorts.progress import record_history, tick_week
from cohorts.submissions import approve_submission, reject_submission, submit_certificate
from tests.cohorts.pillar_helpers import certificate_data
from tests.cohorts.test_leaderboard import board_for
from tests.factories import CohortFactory, MembershipFactory, OrganizerFactory

pytestmark = pytest.mark.django_db(transaction=True)

FINISHERS = 200
PRIZE_SLOTS = 20
# Connections left for everyone else on a shared server (other test runs, psql, the app).
SPARE_CONNECTIONS = 30


def connection_budget(wanted: int) -> int:
    """How many racers may hold a connection at once without starving the server."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        in_use = cursor.fetchone()[0]
    return max(8, min(wanted, limit - in_use - SPARE_CONNECTIONS))


def race(work, items, threads: int):
    """Run `work(item)` for every item on `threads` connections released at the same instant.

    Returns (results in item order, errors, the most calls that were in flight at once).
    """
    barrier = threading.Barrier(threads)
    lock = threading.Lock()
    pending = list(enumerate(items))
    results, errors = [None] * len(items), []
    in_flight = {"now": 0, "max": 0}

    def runner():
        try:
            barrier.wait(timeout=60)
            while True:
                with lock:
                    if not pending:
                        return
                    index, item = pending.pop(0)
                    in_flight["now"] += 1
                    in_flight["max"] = max(in_flight["max"], in_flight["now"])
                try:
                    results[index] = work(item)
                except Exception as error:
                    errors.append(error)
                finally:
                    with lock:
                        in_flight["now"] -= 1
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(runner) for _ in range(threads)]
        for future in futures:
            future.result(timeout=300)
    return results, errors, in_flight["max"]


def test_200_simultaneous_final_ticks_get_contiguous_positions_and_exactly_the_prize_slots(weeks):
    cohort = CohortFactory(prize_slots=PRIZE_SLOTS)
    last_week, earlier = weeks[-1], weeks[:-1]
    start = timezone.now() - timedelta(days=20)
    racers = MembershipFactory.create_batch(FINISHERS, cohort=cohort)
    for racer in racers:
        record_history(
            membership=racer, ticks=[(w, start + timedelta(hours=n)) for n, w in enumerate(earlier)]
        )
    threads = connection_budget(FINISHERS)

    started = time.monotonic()
    completions, errors, overlap = race(
        lambda racer: tick_week(membership=racer, week=last_week), racers, threads
    )
    elapsed = time.monotonic() - started

    assert errors == []
    assert overlap == threads, "every connection had a tick in flight at the same time"
    finishers = list(Membership.objects.filter(cohort=cohort).order_by("finish_seq"))
    assert [m.finish_seq for m in finishers] == list(range(1, FINISHERS + 1))
    assert {m.weeks_done for m in finishers} == {len(weeks)}
    times = [m.theory_completed_at for m in finishers]
    assert all(a < b for a, b in zip(times, times[1:])), "positions follow commit order"
    assert Cohort.objects.get(pk=cohort.pk).finish_counter == FINISHERS
    completions_in_cohort = WeekCompletion.objects.filter(membership__cohort=cohort)
    assert completions_in_cohort.count() == FINISHERS * len(weeks)
    assert len({c.pk for c in completions}) == FINISHERS

    viewer = racers[0]
    board = board_for(viewer)
    rows = [row for page in range(1, board.pages + 1) for row in board_for(viewer, page=page).rows]
    assert [row.rank for row in rows] == list(range(1, FINISHERS + 1))
    assert sum(row.prize for row in rows) == PRIZE_SLOTS
    assert [row.rank for row in rows if row.prize] == list(range(1, PRIZE_SLOTS + 1))
    winners = {m.pk for m in finishers[:PRIZE_SLOTS]}
    for racer in finishers[::10] + finishers[PRIZE_SLOTS - 1:PRIZE_SLOTS + 1]:
        mine = board_for(racer)
        assert mine.you_rank == racer.finish_seq
        assert mine.you_win_a_prize == (racer.pk in winners)
    print(
        f"\n{FINISHERS} final ticks through {threads} connections released at once: "
        f"positions 1..{FINISHERS}, {PRIZE_SLOTS} prizes, {elapsed:.2f}s"
    )


@pytest.mark.parametrize("which", ["final", "middle"])
def test_20_identical_ticks_at_once_record_one_completion_and_consistent_counters(weeks, which):
    cohort = CohortFactory()
    participant = MembershipFactory(cohort=cohort)
    week = weeks[-1] if which == "final" else weeks[8]
    others = [w for w in weeks if w != week]
    done_before = others if which == "final" else weeks[:8]
    yesterday = timezone.now() - timedelta(days=1)
    record_history(membership=participant, ticks=[(w, yesterday) for w in done_before])
    before = Membership.objects.get(pk=participant.pk).weeks_done
    # Twenty browser tabs (or one impatient double-click, twenty times): real requests.
    login = Client()
    login.force_login(participant.user)
    cookies = login.cookies
    url = reverse("cohorts:tick", args=[cohort.slug, week.pk])

    def tick(_n):
        client = Client()
        client.cookies = cookies
        return client.post(url).status_code

    statuses, errors, overlap = race(tick, range(20), 20)

    assert errors == []
    assert statuses == [302] * 20
    assert overlap == 20
    assert WeekCompletion.objects.filter(membership=participant, week=week).count() == 1
    participant.refresh_from_db()
    assert participant.weeks_done == before + 1 == participant.completions.count()
    cohort.refresh_from_db()
    if which == "final":
        assert participant.weeks_done == len(weeks)
        assert participant.finish_seq == 1 and cohort.finish_counter == 1
        assert participant.theory_completed_at is not None
    else:
        assert participant.finish_seq is None and cohort.finish_counter == 0


ROUNDS = 20


def test_approve_and_reject_of_one_submission_at_once_give_one_outcome(dls):
    """Two organizers decide the same certificate at the same instant, twenty times over."""
    cohort = CohortFactory()
    first, second = OrganizerFactory(cohort=cohort), OrganizerFactory(cohort=cohort)
    participants = MembershipFactory.create_batch(ROUNDS, cohort=cohort)
    submissions = [submit_certificate(membership=m, **certificate_data()) for m in participants]
    mail.outbox.clear()

    def decide(job):
        decision, submission = job
        try:
            if decision == "approve":
                approve_submission(submission=submission, actor=first.user)
            else:
                reject_submission(submission=submission, actor=second.user, reason="Blurred scan")
            return decision
        except ValidationError as error:
            assert "no longer applies" in " ".join(error.messages)
            return None

    jobs = [(decision, s) for s in submissions for decision in ("approve", "reject")]
    threads = connection_budget(len(jobs))
    outcomes, errors, overlap = race(decide, jobs, threads)

    assert errors == []
    assert overlap == threads
    winners = {}
    for (decision, submission), outcome in zip(jobs, outcomes):
        if outcome:
            assert submission.pk not in winners, "both decisions went through"
            winners[submission.pk] = outcome
    assert len(winners) == ROUNDS
    for submission, participant in zip(submissions, participants):
        outcome = winners[submission.pk]
        status = "approved" if outcome == "approve" else "rejected"
        assert CertificateSubmission.objects.get(pk=submission.pk).status == status
        assert Membership.objects.get(pk=participant.pk).certificate_state == status
        events = AuditEvent.objects.filter(
            membership=participant,
            action__in=[AuditEvent.Action.APPROVED, AuditEvent.Action.REJECTED],
        )
        assert [e.action for e in events] == [status]
        notices = Notification.objects.filter(user=participant.user)
        assert [n.key for n in notices] == [f"review:certificate:{submission.pk}:{status}"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        User.objects.filter(memberships__in=participants).values_list("email", flat=True)
    )
    print(f"\n{ROUNDS} approve/reject races: {sum(o == 'approve' for o in winners.values())} "
          f"approved, {sum(o == 'reject' for o in winners.values())} rejected, one outcome each")
