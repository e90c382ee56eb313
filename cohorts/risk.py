"""Risk of elimination: how each participant stands against their next unmet deadline.

The rules of DESIGN.md, with every threshold in the constants below. The cohort-wide read
(`assess_cohort`) costs a fixed number of queries however large the cohort: weeks done per
course and weeks done in the pace window are annotations on one membership query, and the
cohort's extensions are read once.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Week

from .deadlines import DeadlineProgress, pillar_met
from .models import Cohort, Deadline, DeadlineExtension, Membership

# The thresholds of the risk rules, in one place.
PACE_WINDOW_DAYS = 14  # pace = weeks done in the last 14 days / 14
CRITICAL_DAYS_LEFT = 2  # fewer days than this left, with work remaining: critical
CRITICAL_WEEKS_PER_DAY = 1  # needing more than one week per day: critical
IDLE_DAYS = 7  # no activity for this long (counting from the cohort start): at risk
PILLAR_AT_RISK_DAYS = 7  # a certificate/Kaggle/graduation deadline this close, still open: at risk
BATCH_SIZE = 2000  # rows read per round trip when a whole cohort is assessed


class Level(models.TextChoices):
    DONE = "done", _("Done")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    CRITICAL = "critical", _("Critical")
    ELIMINATED = "eliminated", _("Eliminated")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The levels counted on the console, in the order shown.
COUNTED_LEVELS = [Level.DONE, Level.ON_TRACK, Level.AT_RISK, Level.CRITICAL, Level.ELIMINATED]


@dataclass(frozen=True)
class Risk:
    level: str
    deadline: Deadline | None
    due_at: datetime | None
    required: int
    done: int
    days_left: float | None
    pace: float  # weeks per day over the pace window
    projected_finish: datetime | None

    @property
    def remaining(self) -> int:
        return max(self.required - self.done, 0)

    @property
    def pace_per_week(self) -> float:
        return round(self.pace * 7, 1)

    @property
    def level_label(self) -> str:
        return Level(self.level).label


def classify(
    *,
    status: str,
    remaining: int,
    due_at: datetime | None,
    theory: bool,
    recent_weeks: int,
    last_activity_at: datetime | None,
    starts_at: datetime,
    now: datetime,
) -> tuple[str, float | None, float, datetime | None]:
    """The level, days left, pace (weeks/day) and projected finish: the rules of DESIGN.md."""
    pace = recent_weeks / PACE_WINDOW_DAYS
    days_left = (due_at - now).total_seconds() / 86400 if due_at else None
    projected = None
    if remaining and theory and pace > 0:
        projected = now + timedelta(days=remaining / pace)
    if status == Membership.Status.ELIMINATED:
        return Level.ELIMINATED, days_left, pace, projected
    if status == Membership.Status.WITHDRAWN:
        return Level.WITHDRAWN, days_left, pace, projected
    if status == Membership.Status.GRADUATED or remaining == 0 or due_at is None:
        return Level.DONE, days_left, pace, projected
    if days_left < CRITICAL_DAYS_LEFT or remaining > CRITICAL_WEEKS_PER_DAY * days_left:
        return Level.CRITICAL, days_left, pace, projected
    if not theory:
        level = Level.AT_RISK if days_left < PILLAR_AT_RISK_DAYS else Level.ON_TRACK
        return level, days_left, pace, projected
    idle_since = max(last_activity_at or starts_at, starts_at)
    if projected is None or projected > due_at or now - idle_since >= timedelta(days=IDLE_DAYS):
        return Level.AT_RISK, days_left, pace, projected
    return Level.ON_TRACK, days_left, pace, projected


class CohortRules:
    """What a cohort's deadlines ask, read once (two queries) and applied to many rows."""

    def __init__(self, cohort: Cohort):
        self.attach(cohort)
        self.deadlines = list(cohort.deadlines.all())
        week_ids: dict[int, list[int]] = {}
        weeks = Week.objects.of(cohort.specialization_id).values_list("pk", "course__number")
        for pk, number in weeks:
            week_ids.setdefault(number, []).append(pk)
        self.course_numbers = sorted(week_ids)
        self.week_ids = week_ids
        self._per_course = {number: len(ids) for number, ids in week_ids.items()}
        self._prepare()

    def __getstate__(self):
        # Cached in Redis: the cohort is the caller's, attached again when read.
        return {
            k: v for k, v in self.__dict__.items() if k not in {"cohort", "starts_at", "_plan"}
        }

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.cohort = self.starts_at = None
        self._prepare()

    def attach(self, cohort: Cohort) -> "CohortRules":
        self.cohort, self.starts_at = cohort, cohort.starts_at
        return self

    def _prepare(self) -> None:
        """Each deadline as (deadline, weeks required, index of its last course or None)."""
        plan = []
        for deadline in sorted(self.deadlines, key=lambda d: (d.due_at, d.pk)):
            if deadline.kind == Deadline.Kind.THEORY:
                last = sum(1 for n in self.course_numbers if n <= deadline.through_course) - 1
                plan.append((deadline, self.required_through(deadline.through_course), last))
            else:
                plan.append((deadline, 1, None))
        self._plan = plan

    def required_through(self, course: int) -> int:
        return sum(n for c, n in self._per_course.items() if c <= course)

    def progress_annotations(self, *, now: datetime) -> dict:
        """Weeks done per course (`done_c<n>`) and in the pace window (`recent_weeks`)."""
        since = now - timedelta(days=PACE_WINDOW_DAYS)
        annotations = {
            f"done_c{number}": Count(
                "completions", filter=Q(completions__week_id__in=self.week_ids[number])
            )
            for number in self.course_numbers
        }
        annotations["recent_weeks"] = Count(
            "completions", filter=Q(completions__completed_at__gte=since)
        )
        return annotations

    def annotate(self, queryset, *, now: datetime):
        """The progress annotations on the membership rows."""
        return queryset.annotate(**self.progress_annotations(now=now))

    def assess(
        self, membership: Membership, *, extensions: dict[int, datetime], now: datetime
    ) -> Risk:
        """One annotated row against the cohort's deadlines; no queries."""
        return self.assess_values(
            membership,
            done_per_course=[getattr(membership, f"done_c{n}") for n in self.course_numbers],
            extensions=extensions,
            now=now,
        )

    def assess_values(
        self, row, *, done_per_course: list[int], extensions: dict[int, datetime], now: datetime
    ) -> Risk:
        """`row` has the membership's status, pillar states, last_activity_at and recent_weeks."""
        cumulative, total = [], 0
        for done in done_per_course:
            total += done
            cumulative.append(total)
        plan = self._plan
        if extensions:
            plan = sorted(
                plan, key=lambda p: (extensions.get(p[0].pk, p[0].due_at), p[0].pk)
            )
        upcoming = None
        for deadline, required, last in plan:
            if last is None:
                done = int(pillar_met(row, deadline.kind))
            else:
                done = cumulative[last] if last >= 0 else 0
            if done < required:
                due_at = extensions.get(deadline.pk, deadline.due_at)
                upcoming = DeadlineProgress(
                    deadline=deadline, due_at=due_at, required=required, done=done
                )
                break
        level, days_left, pace, projected = classify(
            status=row.status,
            remaining=upcoming.remaining if upcoming else 0,
            due_at=upcoming.due_at if upcoming else None,
            theory=bool(upcoming and upcoming.deadline.kind == Deadline.Kind.THEORY),
            recent_weeks=row.recent_weeks,
            last_activity_at=row.last_activity_at,
            starts_at=self.starts_at,
            now=now,
        )
        return Risk(
            level=level,
            deadline=upcoming.deadline if upcoming else None,
            due_at=upcoming.due_at if upcoming else None,
            required=upcoming.required if upcoming else 0,
            done=upcoming.done if upcoming else 0,
            days_left=days_left,
            pace=pace,
            projected_finish=projected,
        )


def cohort_extensions(cohort: Cohort, membership_ids: Iterable[int] | None = None) -> dict:
    """{membership id: {deadline id: extended due moment}} in one query."""
    rows = DeadlineExtension.objects.filter(deadline__cohort=cohort)
    if membership_ids is not None:
        rows = rows.filter(membership_id__in=list(membership_ids))
    result: dict[int, dict[int, datetime]] = {}
    for membership_id, deadline_id, due_at in rows.values_list(
        "membership_id", "deadline_id", "due_at"
    ):
        result.setdefault(membership_id, {})[deadline_id] = due_at
    return result


@dataclass
class AssessedMembership:
    membership: Membership
    risk: Risk


def assess_cohort(
    cohort: Cohort,
    *,
    queryset=None,
    now: datetime | None = None,
    rules: CohortRules | None = None,
    extensions: dict | None = None,
) -> Iterator[AssessedMembership]:
    """Every participant of `queryset` (default: the cohort's participants) with their risk.

    Four queries in all, whatever the cohort's size (two fewer with `rules` and `extensions`
    given); rows are read in bounded batches.
    """
    now = now or timezone.now()
    rules = rules or CohortRules(cohort)
    if extensions is None:
        extensions = cohort_extensions(cohort)
    if queryset is None:
        queryset = cohort.memberships.participants()
    queryset = rules.annotate(queryset.select_related("user"), now=now).order_by("pk")
    for membership in queryset.iterator(chunk_size=BATCH_SIZE):
        membership.cohort = cohort
        yield AssessedMembership(
            membership=membership,
            risk=rules.assess(membership, extensions=extensions.get(membership.pk, {}), now=now),
        )


def assess_membership(membership: Membership, *, now: datetime | None = None) -> Risk:
    """One participant's risk (for their page)."""
    queryset = Membership.objects.filter(pk=membership.pk)
    return next(assess_cohort(membership.cohort, queryset=queryset, now=now)).risk


@dataclass(slots=True)
class RiskRow:
    """A participant as the console sorts, filters and counts them: plain values, no model."""

    pk: int
    status: str
    last_activity_at: datetime | None
    theory_state: str
    certificate_state: str
    kaggle_state: str
    weeks_done: int
    display_name: str
    name: str
    email: str
    recent_weeks: int
    risk: Risk | None = None


ROW_FIELDS = [
    "pk", "status", "last_activity_at", "theory_state", "certificate_state", "kaggle_state",
    "weeks_done", "display_name",
]


def risk_table(
    cohort: Cohort, *, rules: CohortRules, extensions: dict, now: datetime, with_user: bool
) -> Iterator[RiskRow]:
    """Every participant's risk from one GROUP BY query over their completions.

    Read as plain tuples (no model instances) in batches; `with_user` adds the account's
    name and email (for search and sorting by email).
    """
    annotations = rules.progress_annotations(now=now)
    fields = ROW_FIELDS + (["user__name", "user__email"] if with_user else [])
    rows = (
        cohort.memberships.participants().order_by()
        .values(*fields).annotate(**annotations)
        .values_list(*fields, *annotations)
    )
    courses = len(rules.course_numbers)
    base = len(fields)
    for values in rows.iterator(chunk_size=BATCH_SIZE):
        name, email = (values[8], values[9]) if with_user else ("", "")
        row = RiskRow(*values[:8], name, email, values[-1])
        row.risk = rules.assess_values(
            row, done_per_course=list(values[base:base + courses]),
            extensions=extensions.get(row.pk, {}), now=now,
        )
        yield row
