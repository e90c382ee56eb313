import pytest

from cohorts.kaggle_routes import KaggleResult, describe_route, evaluate_routes
from cohorts.models import KaggleRoute

FEATURED = KaggleRoute(name="Featured 40", categories=["featured"], top_percent=40)
TEAM = KaggleRoute(
    name="Team 20", categories=["playground", "community"], top_percent=20,
    team_required=True, max_team_size=3,
)
ROUTES_2023 = [FEATURED, TEAM]


def result(**values):
    return KaggleResult(**{"category": "featured", "team_size": 1, "rank": 40, "teams": 100, **values})


@pytest.mark.parametrize(
    ("values", "route"),
    [
        ({}, FEATURED),  # rank 40 of 100 is exactly the top 40%
        ({"team_size": 3}, FEATURED),  # Featured accepts teams too
        ({"rank": 41}, None),
        ({"category": "playground", "team_size": 2, "rank": 20}, TEAM),
        ({"category": "community", "team_size": 3, "rank": 20}, TEAM),
        ({"category": "playground", "team_size": 1, "rank": 1}, None),  # a team is required
        ({"category": "playground", "team_size": 4, "rank": 1}, None),  # at most 3 members
        ({"category": "playground", "team_size": 2, "rank": 21}, None),
        ({"category": "research", "rank": 1}, None),
        ({"category": "featured", "rank": 3, "teams": 9}, FEATURED),  # 40% of 9 = 3.6 -> 3
        ({"category": "featured", "rank": 4, "teams": 9}, None),
    ],
)
def test_the_2023_routes(values, route):
    assert evaluate_routes(routes=ROUTES_2023, result=result(**values)).route is route


def test_the_first_qualifying_route_in_the_cohorts_order_wins():
    anything = KaggleRoute(name="Anything, top 50%", categories=[], top_percent=50)
    evaluation = evaluate_routes(routes=[anything, FEATURED], result=result(rank=10))
    assert evaluation.route is anything and all(check.qualifies for check in evaluation.checks)


def test_an_empty_category_list_accepts_any_competition():
    anything = KaggleRoute(name="Any", categories=[], top_percent=25)
    assert evaluate_routes(routes=[anything], result=result(category="getting_started", rank=25)).qualifies


def test_each_failed_condition_is_explained():
    evaluation = evaluate_routes(
        routes=[TEAM], result=result(category="featured", team_size=1, rank=30)
    )
    (check,) = evaluation.checks
    assert not evaluation.qualifies
    assert len(check.problems) == 3
    assert "Playground, Community" in check.problems[0]
    assert "2 or more" in check.problems[1]
    assert "20 or better" in check.problems[2]
    (check,) = evaluate_routes(routes=[TEAM], result=result(category="playground", team_size=5, rank=1)).checks
    assert check.problems == ["A team may have at most 3 members."]


def test_a_field_too_small_for_the_percentage_has_no_qualifying_rank():
    (check,) = evaluate_routes(routes=[TEAM], result=result(category="playground", team_size=2, rank=1, teams=4)).checks
    assert "no rank at all" in check.problems[0]


def test_no_routes_means_nothing_qualifies():
    assert evaluate_routes(routes=[], result=result(rank=1)).route is None


def test_result_carries_percentile_and_medal():
    found = result(rank=11, teams=500)
    assert str(found.percentile) == "2.20" and found.medal == "gold"
    assert result(rank=11, teams=500, awards_medals=False).medal == ""


def test_routes_are_described_for_people():
    assert describe_route(TEAM) == "Playground, Community, top 20%, team entry, at most 3 members"
