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

from .deadlines import DeadlineProgress, next_unmet, pillar_met
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
        self.cohort = cohort
        self.deadlines = list(cohort.deadlines.all())
        per_course = dict(
            Week.objects.of(cohort.specialization_id)
            .values_list("course__number")
            .annotate(n=Count("pk"))
            .order_by()
        )
        self.course_numbers = sorted(per_course)
        self._per_course = per_course

    def required_through(self, course: int) -> int:
        return sum(n for c, n in self._per_course.items() if c <= course)

    def annotate(self, queryset, *, now: datetime):
        """Weeks done per course and in the pace window, as annotations on the membership rows."""
        since = now - timedelta(days=PACE_WINDOW_DAYS)
        annotations = {
            f"done_c{number}": Count(
                "completions", filter=Q(completions__week__course__number=number)
            )
            for number in self.course_numbers
        }
        annotations["recent_weeks"] = Count(
            "completions", filter=Q(completions__completed_at__gte=since)
        )
        return queryset.annotate(**annotations)

    def assess(
        self, membership: Membership, *, extensions: dict[int, datetime], now: datetime
    ) -> Risk:
        """One annotated row against the cohort's deadlines; no queries."""
        progress = []
        for deadline in self.deadlines:
            if deadline.kind == Deadline.Kind.THEORY:
                required = self.required_through(deadline.through_course)
                done = sum(
                    getattr(membership, f"done_c{n}") for n in self.course_numbers
                    if n <= deadline.through_course
                )
            else:
                required, done = 1, int(pillar_met(membership, deadline.kind))
            due_at = extensions.get(deadline.pk, deadline.due_at)
            progress.append(
                DeadlineProgress(deadline=deadline, due_at=due_at, required=required, done=done)
            )
        progress.sort(key=lambda p: (p.due_at, p.deadline.pk))
        upcoming = next_unmet(progress)
        level, days_left, pace, projected = classify(
            status=membership.status,
            remaining=upcoming.remaining if upcoming else 0,
            due_at=upcoming.due_at if upcoming else None,
            theory=bool(upcoming and upcoming.deadline.kind == Deadline.Kind.THEORY),
            recent_weeks=membership.recent_weeks,
            last_activity_at=membership.last_activity_at,
            starts_at=self.cohort.starts_at,
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
    cohort: Cohort, *, queryset=None, now: datetime | None = None
) -> Iterator[AssessedMembership]:
    """Every participant of `queryset` (default: the cohort's participants) with their risk.

    Four queries in all, whatever the cohort's size; rows are read in bounded batches.
    """
    now = now or timezone.now()
    rules = CohortRules(cohort)
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
