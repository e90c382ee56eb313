"""Kaggle's official medal table and the percentile of a final private-leaderboard rank.

See shared/reference/kaggle-medals.md: percentages are rounded down, and competitions
that award no medals get none whatever the rank.
"""

from decimal import ROUND_CEILING, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    FEATURED = "featured", _("Featured")
    RESEARCH = "research", _("Research")
    PLAYGROUND = "playground", _("Playground")
    COMMUNITY = "community", _("Community")
    GETTING_STARTED = "getting_started", _("Getting Started")


class Medal(models.TextChoices):
    NONE = "", _("No medal")
    BRONZE = "bronze", _("Bronze")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")


def percentile(*, rank: int, teams: int) -> Decimal:
    """The rank as a share of the field, in percent with two decimals (rank 1 of 100 = 1.00).

    Rounded up, so the shown figure never looks better than the result: "top p%" holds exactly
    when percentile <= p, matching `within_top_percent` (rank 10001 of 25001 shows 40.01, not 40.00).
    """
    return (Decimal(rank) * 100 / Decimal(teams)).quantize(Decimal("0.01"), ROUND_CEILING)


def within_top_percent(*, rank: int, teams: int, percent: int | Decimal) -> bool:
    """A bootcamp rule's "top p%": rank <= floor(p x teams / 100)."""
    return rank <= int(Decimal(percent) * teams // 100)


def medal_limits(teams: int) -> dict[str, int]:
    """The last rank that earns each medal in a competition of `teams` teams."""
    if teams < 100:
        gold, silver, bronze = teams * 10 // 100, teams * 20 // 100, teams * 40 // 100
    elif teams < 250:
        gold, silver, bronze = 10, teams * 20 // 100, teams * 40 // 100
    elif teams < 1000:
        gold, silver, bronze = 10 + teams * 2 // 1000, 50, 100
    else:
        gold, silver, bronze = 10 + teams * 2 // 1000, teams * 5 // 100, teams * 10 // 100
    return {Medal.GOLD: gold, Medal.SILVER: silver, Medal.BRONZE: bronze}


def medal_for(*, rank: int, teams: int, awards_medals: bool = True) -> Medal:
    if not awards_medals:
        return Medal.NONE
    for medal, last_rank in medal_limits(teams).items():
        if rank <= last_rank:
            return Medal(medal)
    return Medal.NONE
