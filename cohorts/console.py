"""What the organizer console shows: risk counts and the filtered, sorted participant table.

Counts need every participant's risk, so the console assesses the whole cohort in one pass
(a fixed number of queries, rows read in batches) and filters, sorts and pages in memory.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import Cohort, Membership
from .risk import COUNTED_LEVELS, AssessedMembership, Level, assess_cohort

PAGE_SIZE = 50
PILLARS = ["theory_state", "certificate_state", "kaggle_state"]


def _none_last(value):
    return (value is None, value)


SORTS = {
    "name": lambda r: r.membership.display_name.casefold(),
    "email": lambda r: r.membership.user.email,
    "status": lambda r: r.membership.status,
    "weeks_done": lambda r: r.membership.weeks_done,
    "deadline": lambda r: _none_last(r.risk.due_at),
    "required": lambda r: r.risk.required,
    "remaining": lambda r: r.risk.remaining,
    "days_left": lambda r: _none_last(r.risk.days_left),
    "pace": lambda r: r.risk.pace,
    "projected": lambda r: _none_last(r.risk.projected_finish),
    "last_activity": lambda r: _none_last(r.membership.last_activity_at),
    "risk": lambda r: [*COUNTED_LEVELS, Level.WITHDRAWN].index(r.risk.level),
    "theory_state": lambda r: r.membership.theory_state,
    "certificate_state": lambda r: r.membership.certificate_state,
    "kaggle_state": lambda r: r.membership.kaggle_state,
}


@dataclass
class ConsoleFilters:
    risk: str = ""
    status: str = ""
    pillar: str = ""  # "<pillar field>:<state>", e.g. "certificate_state:submitted"
    q: str = ""
    sort: str = "risk"

    @classmethod
    def from_query(cls, params) -> "ConsoleFilters":
        risk = params.get("risk", "")
        status = params.get("status", "")
        pillar = params.get("pillar", "")
        sort = params.get("sort", "risk")
        pillar_field, _sep, state = pillar.partition(":")
        return cls(
            risk=risk if risk in Level.values else "",
            status=status if status in Membership.Status.values else "",
            pillar=pillar
            if pillar_field in PILLARS and state in Membership.PillarState.values
            else "",
            q=params.get("q", "").strip()[:100],
            sort=sort if sort.lstrip("-") in SORTS else "risk",
        )

    def matches(self, row: AssessedMembership) -> bool:
        membership = row.membership
        if self.risk and row.risk.level != self.risk:
            return False
        if self.status and membership.status != self.status:
            return False
        if self.pillar:
            pillar_field, _sep, state = self.pillar.partition(":")
            if getattr(membership, pillar_field) != state:
                return False
        if self.q:
            needle = self.q.casefold()
            haystack = (membership.display_name, membership.user.name, membership.user.email)
            if not any(needle in value.casefold() for value in haystack):
                return False
        return True


@dataclass
class Console:
    counts: dict[str, int]
    rows: list[AssessedMembership]
    total: int
    next_deadline: object | None


def build_console(
    cohort: Cohort, filters: ConsoleFilters, *, now: datetime | None = None
) -> Console:
    """Counts over the whole cohort, rows filtered and sorted (page them with a Paginator)."""
    now = now or timezone.now()
    counts = {level: 0 for level in COUNTED_LEVELS}
    rows, total = [], 0
    for row in assess_cohort(cohort, now=now):
        total += 1
        if row.risk.level in counts:
            counts[row.risk.level] += 1
        if filters.matches(row):
            rows.append(row)
    key = SORTS[filters.sort.lstrip("-")]
    rows.sort(key=lambda r: (key(r), r.membership.pk), reverse=filters.sort.startswith("-"))
    next_deadline = next(
        (d for d in cohort.deadlines.all() if d.due_at >= now), None
    )
    return Console(counts=counts, rows=rows, total=total, next_deadline=next_deadline)


CSV_HEADER = [
    "display_name", "name", "email", "status", "risk", "weeks_done", "next_deadline", "due_at",
    "required", "remaining", "days_left", "pace_per_week", "projected_finish", "last_activity",
    "theory_evidence", "certificate", "kaggle",
]


def csv_row(row: AssessedMembership, cohort: Cohort) -> list:
    membership, risk = row.membership, row.risk

    def local(moment):
        return moment.astimezone(cohort.tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    return [
        membership.display_name, membership.user.name, membership.user.email,
        membership.status, risk.level, membership.weeks_done,
        risk.deadline.title if risk.deadline else "", local(risk.due_at), risk.required,
        risk.remaining, f"{risk.days_left:.1f}" if risk.days_left is not None else "",
        risk.pace_per_week, local(risk.projected_finish), local(membership.last_activity_at),
        membership.theory_state, membership.certificate_state, membership.kaggle_state,
    ]
