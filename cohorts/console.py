"""What the organizer console shows: risk counts and the filtered, sorted participant table.

Counts, filters and sorting need every participant's risk. The console assesses the whole
cohort from one GROUP BY query read as plain tuples, keeps the counts and the ordered ids in
Redis under the cohort's version (cohorts/cache.py) for a minute at most, and reads only the
rows of the page shown (or of each batch of the CSV export) as model instances.
"""

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .cache import cached_for_cohort
from .models import Cohort, Deadline, Membership
from .risk import (
    BATCH_SIZE, COUNTED_LEVELS, AssessedMembership, CohortRules, Level, RiskRow,
    assess_cohort, cohort_extensions, risk_table,
)

PAGE_SIZE = 50
PILLARS = ["theory_state", "certificate_state", "kaggle_state"]
# Risk depends on the clock: the ordered table is recomputed at least this often.
TABLE_SECONDS = 60


def _none_last(value):
    return (value is None, value)


SORTS = {
    "name": lambda r: r.display_name.casefold(),
    "email": lambda r: r.email,
    "status": lambda r: r.status,
    "weeks_done": lambda r: r.weeks_done,
    "deadline": lambda r: _none_last(r.risk.due_at),
    "required": lambda r: r.risk.required,
    "remaining": lambda r: r.risk.remaining,
    "days_left": lambda r: _none_last(r.risk.days_left),
    "pace": lambda r: r.risk.pace,
    "projected": lambda r: _none_last(r.risk.projected_finish),
    "last_activity": lambda r: _none_last(r.last_activity_at),
    "risk": lambda r: [*COUNTED_LEVELS, Level.WITHDRAWN].index(r.risk.level),
    "theory_state": lambda r: r.theory_state,
    "certificate_state": lambda r: r.certificate_state,
    "kaggle_state": lambda r: r.kaggle_state,
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

    @property
    def key(self) -> str:
        """Safe in a cache key whatever the search says."""
        filters = repr((self.risk, self.status, self.pillar, self.q, self.sort))
        return hashlib.sha1(filters.encode(), usedforsecurity=False).hexdigest()

    @property
    def needs_user(self) -> bool:
        return bool(self.q) or self.sort.lstrip("-") == "email"

    def matches(self, row: RiskRow) -> bool:
        if self.risk and row.risk.level != self.risk:
            return False
        if self.status and row.status != self.status:
            return False
        if self.pillar:
            pillar_field, _sep, state = self.pillar.partition(":")
            if getattr(row, pillar_field) != state:
                return False
        if self.q:
            needle = self.q.casefold()
            haystack = (row.display_name, row.name, row.email)
            if not any(needle in value.casefold() for value in haystack):
                return False
        return True


class ConsoleRows:
    """The filtered, sorted participants: ids in memory, rows assessed a slice at a time.

    A Paginator pages it (only the page's rows are read); iterating reads batches, so the
    CSV export of any cohort holds one batch of model instances at a time.
    """

    def __init__(
        self, cohort: Cohort, pks: list[int], rules: CohortRules, extensions: dict, now: datetime
    ):
        self.cohort, self.pks, self.rules, self.now = cohort, pks, rules, now
        self.extensions = extensions

    def __len__(self) -> int:
        return len(self.pks)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return LazyRows(self, self.pks[index])
        return self._assess([self.pks[index]])[0]

    def __iter__(self) -> Iterator[AssessedMembership]:
        for start in range(0, len(self.pks), BATCH_SIZE):
            yield from self._assess(self.pks[start:start + BATCH_SIZE])

    def _assess(self, pks: list[int]) -> list[AssessedMembership]:
        if not pks:
            return []
        rows = {
            row.membership.pk: row
            for row in assess_cohort(
                self.cohort,
                queryset=self.cohort.memberships.filter(pk__in=pks),
                now=self.now,
                rules=self.rules,
                extensions=self.extensions,
            )
        }
        # A participant who left the cohort since the table was computed is simply skipped.
        return [rows[pk] for pk in pks if pk in rows]


class LazyRows(Sequence):
    """A page of rows, read when first iterated: a page whose HTML is cached reads nothing."""

    def __init__(self, rows: ConsoleRows, pks: list[int]):
        self._rows, self._pks, self._assessed = rows, pks, None

    def _load(self) -> list[AssessedMembership]:
        if self._assessed is None:
            self._assessed = self._rows._assess(self._pks)
        return self._assessed

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, index):
        return self._load()[index]

    def __iter__(self):
        return iter(self._load())


@dataclass
class Console:
    counts: dict[str, int]
    rows: ConsoleRows
    total: int
    next_deadline: Deadline | None
    fragment_key: str  # this computation of the table (the rows' HTML is cached under it)


def cohort_rules(cohort: Cohort) -> CohortRules:
    """The cohort's deadlines and weeks per course, cached until the cohort changes."""
    return cached_for_cohort(cohort.pk, "rules", lambda: CohortRules(cohort)).attach(cohort)


def _table(cohort: Cohort, rules: CohortRules, filters: ConsoleFilters, now: datetime) -> dict:
    """Counts over the whole cohort and the ids of the matching rows, in the chosen order."""
    counts = {level: 0 for level in COUNTED_LEVELS}
    keyed, total = [], 0
    extensions = cohort_extensions(cohort)
    key = SORTS[filters.sort.lstrip("-")]
    for row in risk_table(
        cohort, rules=rules, extensions=extensions, now=now, with_user=filters.needs_user
    ):
        total += 1
        if row.risk.level in counts:
            counts[row.risk.level] += 1
        if filters.matches(row):
            keyed.append((key(row), row.pk))  # the sort key only: the row itself is let go
    keyed.sort(reverse=filters.sort.startswith("-"))
    # Extensions are few (organizers grant them one by one): kept for the rows of every page.
    return {
        "id": uuid.uuid4().hex, "counts": counts, "total": total,
        "pks": [pk for _key, pk in keyed], "extensions": extensions,
    }


def build_console(
    cohort: Cohort, filters: ConsoleFilters, *, now: datetime | None = None
) -> Console:
    """Counts over the whole cohort, rows filtered and sorted (page them with a Paginator)."""
    now = now or timezone.now()
    rules = cohort_rules(cohort)
    minute = now.strftime("%Y%m%d%H%M")
    # While one process recomputes a large cohort's table, the others show the previous one.
    table = cached_for_cohort(
        cohort.pk, f"console:{minute}:{filters.key}",
        lambda: _table(cohort, rules, filters, now), timeout=TABLE_SECONDS,
        stale=f"console:{filters.key}",
    )
    next_deadline = next((d for d in rules.deadlines if d.due_at >= now), None)
    return Console(
        counts=table["counts"],
        rows=ConsoleRows(cohort, table["pks"], rules, table["extensions"], now),
        total=table["total"], next_deadline=next_deadline,
        fragment_key=f"{cohort.pk}:{table['id']}",
    )


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
