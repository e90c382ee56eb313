"""Sixty participants tick their last week at the same moment, each on its own connection."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.progress import record_history, tick_week
from tests.factories import CohortFactory, MembershipFactory

from .test_leaderboard import board_for

RACERS = 60


@pytest.mark.django_db(transaction=True)
def test_simultaneous_finishes_get_distinct_contiguous_positions_in_commit_order(dls, weeks):
    cohort = CohortFactory(prize_slots=20)
    last_week, earlier = weeks[-1], weeks[:-1]
    start = timezone.now() - timedelta(days=20)
    racers = []
    for i in range(RACERS):
        racer = MembershipFactory(cohort=cohort, display_name=f"Racer {i:02d}")
        record_history(membership=racer, ticks=[(w, start + timedelta(hours=n)) for n, w in enumerate(earlier)])
        racers.append(racer)
    assert not Membership.objects.filter(cohort=cohort, finish_seq__isnull=False).exists()

    barrier = threading.Barrier(RACERS)
    errors = []

    def race(racer):
        try:
            barrier.wait(timeout=30)
            tick_week(membership=racer, week=last_week)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(racer,)) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    finishers = list(Membership.objects.filter(cohort=cohort).order_by("finish_seq"))
    assert [m.finish_seq for m in finishers] == list(range(1, RACERS + 1))
    times = [m.theory_completed_at for m in finishers]
    assert all(earlier < later for earlier, later in zip(times, times[1:])), "numbered in commit order"
    assert Cohort.objects.get(pk=cohort.pk).finish_counter == RACERS

    board = board_for(racers[0])
    ranks = [row.rank for page in range(1, board.pages + 1) for row in board_for(racers[0], page=page).rows]
    assert ranks == list(range(1, RACERS + 1))
    assert sum(row.prize for row in board.rows) == 20
    for racer in finishers:
        mine = board_for(racer)
        assert mine.you_rank == racer.finish_seq
        assert mine.you_win_a_prize == (racer.finish_seq <= 20)
