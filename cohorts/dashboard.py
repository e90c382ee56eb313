"""What a participant's dashboard shows, read in a fixed number of queries."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from courses.models import Course, Week

from .cache import cached_curriculum, curriculum_version
from .deadlines import DeadlineProgress, next_unmet, progress_for
from .models import Membership, WeekCompletion
from .pillars import PillarCard, pillar_cards

PACE_WINDOW_DAYS = 14


@dataclass
class CourseProgress:
    course: Course
    weeks: list[Week]
    done: int

    @property
    def complete(self) -> bool:
        return self.done == len(self.weeks)


@dataclass
class Dashboard:
    membership: Membership
    courses: list[CourseProgress]
    completions: dict[int, WeekCompletion]
    deadlines: list[DeadlineProgress]
    next_deadline: DeadlineProgress | None
    total_weeks: int
    finish_position: int | None
    recent_weeks: int
    pillars: dict[str, PillarCard] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return round(100 * self.membership.weeks_done / self.total_weeks) if self.total_weeks else 0

    def week(self, pk: int) -> Week:
        return next(w for course in self.courses for w in course.weeks if w.pk == pk)

    @property
    def pace_per_week(self) -> float:
        """Weeks ticked per calendar week over the last 14 days."""
        return round(self.recent_weeks * 7 / PACE_WINDOW_DAYS, 1)


def curriculum_weeks(specialization_id: int) -> list[Week]:
    """The specialization's weeks in order, with course and assignments (cached: a fresh copy)."""
    return cached_curriculum(
        f"weeks:{specialization_id}",
        lambda: list(
            Week.objects.of(specialization_id)
            .select_related("course")
            .prefetch_related("assignments")
            .order_by("course__number", "number")
        ),
    )


def finish_position(membership: Membership) -> int | None:
    """The participant's place in the finish order, or None if their finish does not stand."""
    if membership.finish_seq is None or membership.theory_state == Membership.PillarState.REJECTED:
        return None
    return (
        membership.cohort.memberships.finishers()
        .filter(finish_seq__lte=membership.finish_seq)
        .count()
    )


def build_dashboard(membership: Membership, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    cohort = membership.cohort
    weeks = curriculum_weeks(cohort.specialization_id)
    completions = {c.week_id: c for c in membership.completions.all()}
    extensions = dict(membership.extensions.values_list("deadline_id", "due_at"))
    deadlines = progress_for(membership, cohort.deadlines.all(), weeks, set(completions), extensions)
    courses = [
        CourseProgress(course=course, weeks=list(group), done=0)
        for course, group in groupby(weeks, key=lambda w: w.course)
    ]
    for week in weeks:
        week.completion = completions.get(week.pk)
    for course in courses:
        course.done = sum(1 for w in course.weeks if w.completion)
    since = now - timedelta(days=PACE_WINDOW_DAYS)
    return Dashboard(
        membership=membership,
        courses=courses,
        completions=completions,
        deadlines=deadlines,
        next_deadline=next_unmet(deadlines),
        total_weeks=len(weeks),
        finish_position=finish_position(membership),
        recent_weeks=sum(1 for c in completions.values() if c.completed_at >= since),
        pillars=pillar_cards(membership, [p.deadline for p in deadlines], extensions),
    )


def weeks_fragment_key(dash: Dashboard, request) -> str:
    """Everything the list of weeks shows, hashed: the key of its cached HTML.

    The list is most of the page and changes only when the participant ticks, writes a note
    or changes status. Its forms carry the CSRF token, so the session's CSRF secret is part
    of the key (a cached list is only ever served to the session it was rendered for).
    """
    get_token(request)  # the secret exists (and its cookie is renewed, as a render would do)
    membership, cohort = dash.membership, dash.membership.cohort
    parts = (
        membership.pk, membership.can_progress, cohort.slug, cohort.time_zone, get_language(),
        curriculum_version(), request.META["CSRF_COOKIE"],
        sorted(
            (c.week_id, c.completed_at.isoformat(), c.note_url)
            for c in dash.completions.values()
        ),
    )
    return hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
