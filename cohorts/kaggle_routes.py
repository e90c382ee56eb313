"""Whether a Kaggle result meets one of the cohort's accepted routes, and if not, why not."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.kaggle import Category, Medal, medal_for, percentile, within_top_percent

from .models import KaggleRoute


def validate_standing(*, rank: int | None, teams: int | None, team_size: int | None) -> None:
    """Rank, field size and team size that can exist on a final leaderboard."""
    errors = {}
    if teams is not None and teams < 1:
        errors["teams"] = _("The number of teams must be at least 1.")
    if rank is not None and rank < 1:
        errors["rank"] = _("The rank must be at least 1.")
    elif rank is not None and teams is not None and teams >= 1 and rank > teams:
        errors["rank"] = _("The rank cannot be greater than the number of teams (%(teams)s).") % {
            "teams": teams
        }
    if team_size is not None and team_size < 1:
        errors["team_size"] = _("A team has at least 1 member.")
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class KaggleResult:
    category: str
    team_size: int
    rank: int
    teams: int
    awards_medals: bool = True

    @property
    def percentile(self) -> Decimal:
        return percentile(rank=self.rank, teams=self.teams)

    @property
    def medal(self) -> Medal:
        return medal_for(rank=self.rank, teams=self.teams, awards_medals=self.awards_medals)


@dataclass(frozen=True)
class RouteCheck:
    route: KaggleRoute
    problems: list[str]

    @property
    def qualifies(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RouteEvaluation:
    result: KaggleResult
    checks: list[RouteCheck]

    @property
    def route(self) -> KaggleRoute | None:
        """The first route, in the cohort's order, that accepts the result."""
        return next((c.route for c in self.checks if c.qualifies), None)

    @property
    def qualifies(self) -> bool:
        return self.route is not None


def _category_names(values: Iterable[str]) -> str:
    labels = {c.value: str(c.label) for c in Category}
    return ", ".join(labels.get(v, v) for v in values)


def check_route(route: KaggleRoute, result: KaggleResult) -> RouteCheck:
    problems = []
    if route.categories and result.category not in route.categories:
        problems.append(
            _("The competition must be one of: %(categories)s.")
            % {"categories": _category_names(route.categories)}
        )
    if route.team_required and result.team_size < 2:
        problems.append(_("It must be a team entry (2 or more members)."))
    if route.max_team_size and result.team_size > route.max_team_size:
        problems.append(
            ngettext(
                "A team may have at most %(count)d member.",
                "A team may have at most %(count)d members.",
                route.max_team_size,
            )
            % {"count": route.max_team_size}
        )
    if not within_top_percent(rank=result.rank, teams=result.teams, percent=route.top_percent):
        last_rank = route.top_percent * result.teams // 100
        if last_rank:
            problems.append(
                _("The rank must be %(last_rank)s or better (top %(percent)s%% of %(teams)s teams).")
                % {"last_rank": last_rank, "percent": route.top_percent, "teams": result.teams}
            )
        else:
            problems.append(
                _("Top %(percent)s%% of %(teams)s teams rounds down to no rank at all.")
                % {"percent": route.top_percent, "teams": result.teams}
            )
    return RouteCheck(route=route, problems=problems)


def evaluate_routes(*, routes: Iterable[KaggleRoute], result: KaggleResult) -> RouteEvaluation:
    return RouteEvaluation(result=result, checks=[check_route(route, result) for route in routes])


def describe_route(route: KaggleRoute) -> str:
    """One line for people: "Featured, top 40%, teams of at most 3"."""
    parts = [_category_names(route.categories) if route.categories else _("Any competition")]
    parts.append(_("top %(percent)s%%") % {"percent": route.top_percent})
    if route.team_required:
        parts.append(_("team entry"))
    if route.max_team_size:
        parts.append(
            ngettext(
                "at most %(count)d member", "at most %(count)d members", route.max_team_size
            )
            % {"count": route.max_team_size}
        )
    return ", ".join(parts)

