from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.kaggle import Medal, medal_for, medal_limits, percentile, within_top_percent


def limits(teams):
    found = medal_limits(teams)
    return found[Medal.GOLD], found[Medal.SILVER], found[Medal.BRONZE]


@pytest.mark.parametrize(
    ("teams", "gold", "silver", "bronze"),
    [
        (9, 0, 1, 3),  # 10% of 9 rounds down to 0: no gold medal
        (99, 9, 19, 39),
        (100, 10, 20, 40),
        (249, 10, 49, 99),
        (250, 10, 50, 100),  # 10 + 0.2% of 250 = 10.5, rounded down
        (500, 11, 50, 100),  # the reference's worked check
        (999, 11, 50, 100),
        (1000, 12, 50, 100),
        (5000, 20, 250, 500),  # the reference's worked check
    ],
)
def test_medal_limits_follow_kaggles_table(teams, gold, silver, bronze):
    assert limits(teams) == (gold, silver, bronze)


def test_nine_teams_award_no_gold():
    assert medal_for(rank=1, teams=9) == Medal.SILVER


@pytest.mark.parametrize(
    ("rank", "medal"),
    [(1, Medal.GOLD), (11, Medal.GOLD), (12, Medal.SILVER), (50, Medal.SILVER),
     (51, Medal.BRONZE), (100, Medal.BRONZE), (101, Medal.NONE), (500, Medal.NONE)],
)
def test_medals_at_the_boundaries_of_a_500_team_competition(rank, medal):
    assert medal_for(rank=rank, teams=500) == medal


@pytest.mark.parametrize(
    ("rank", "medal"),
    [(20, Medal.GOLD), (21, Medal.SILVER), (250, Medal.SILVER), (251, Medal.BRONZE),
     (500, Medal.BRONZE), (501, Medal.NONE)],
)
def test_medals_at_the_boundaries_of_a_5000_team_competition(rank, medal):
    assert medal_for(rank=rank, teams=5000) == medal


def test_competitions_without_medals_award_none_whatever_the_rank():
    assert medal_for(rank=1, teams=5000, awards_medals=False) == Medal.NONE


@pytest.mark.parametrize(
    ("rank", "teams", "expected"),
    [(1, 100, "1.00"), (40, 100, "40.00"), (1, 3, "33.34"), (2, 3, "66.67"), (3, 3, "100.00"),
     (10001, 25001, "40.01")],
)
def test_percentile_is_rounded_up_to_two_decimals(rank, teams, expected):
    assert percentile(rank=rank, teams=teams) == Decimal(expected)


@pytest.mark.parametrize(
    ("rank", "teams", "percent", "inside"),
    [(40, 100, 40, True), (41, 100, 40, False), (3, 9, 40, True), (4, 9, 40, False),
     (1, 4, 20, False), (400, 1000, 40, True), (401, 1000, 40, False)],
)
def test_top_percent_rounds_the_allowed_rank_down(rank, teams, percent, inside):
    assert within_top_percent(rank=rank, teams=teams, percent=percent) is inside


@given(st.integers(1, 100_000), st.integers(1, 100_000), st.integers(1, 100))
def test_the_shown_percentile_agrees_with_the_top_percent_rule(teams, rank, percent):
    rank = min(rank, teams)
    assert within_top_percent(rank=rank, teams=teams, percent=percent) == (
        percentile(rank=rank, teams=teams) <= percent
    )


@given(st.integers(1, 20_000))
def test_better_medals_never_reach_further_down_the_leaderboard(teams):
    gold, silver, bronze = limits(teams)
    assert 0 <= gold <= silver <= bronze <= teams
