"""The cohort leaderboard: the finish order, everyone still in the race, and how the cohort compares.

Every read costs a fixed number of indexed queries whatever the cohort's size: one aggregate for
the counts, the viewer's rank and the board's version, one query for the rows on the page (and
around the viewer), a handful of GROUP BY queries for the charts.

Finish positions come from `Membership.finish_seq`, numbered under the cohort row lock in
cohorts/progress.py, so a position shown once only moves when a finish ahead is rejected or
un-ticked. Positions are contiguous over the finishes that stand (every status: withdrawing or
being eliminated later does not take a theory finish back).
"""

import hashlib
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import IntEnum
from functools import cached_property, reduce
from operator import or_

from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import charts
from .cache import cached_for_cohort, cohort_version
from .models import Cohort, KaggleSubmission, Membership, WeekCompletion
from .progress import total_weeks

PAGE_SIZE = 30  # the first page also holds all prize slots: prize_slots + PAGE_SIZE rows
NEIGHBOURS = 5  # rows shown on each side of the viewer when they are not on the page
PACE_WINDOW_DAYS = 14
PILLAR_BOARD_ROWS = 20

Status = Membership.Status
PillarState = Membership.PillarState


class Section(IntEnum):
    FINISHED = 0
    REJECTED = 1
    IN_PROGRESS = 2
    ELIMINATED = 3
    WITHDRAWN = 4


PARTICIPANT_SECTIONS = (Section.FINISHED, Section.IN_PROGRESS, Section.ELIMINATED)
ORGANIZER_SECTIONS = tuple(Section)

STANDING = Q(finish_seq__isnull=False) & ~Q(theory_state=PillarState.REJECTED)
SECTION_FILTERS = {
    Section.FINISHED: STANDING,
    Section.REJECTED: Q(finish_seq__isnull=False, theory_state=PillarState.REJECTED),
    Section.IN_PROGRESS: Q(finish_seq__isnull=True, status__in=[Status.ACTIVE, Status.GRADUATED]),
    Section.ELIMINATED: Q(finish_seq__isnull=True, status=Status.ELIMINATED),
    Section.WITHDRAWN: Q(finish_seq__isnull=True, status=Status.WITHDRAWN),
}
# The orders match membership_finish_idx and membership_progress_idx.
FINISH_ORDER = ("finish_seq",)
PROGRESS_ORDER = (F("weeks_done").desc(), F("weeks_done_at").asc(nulls_last=True), "id")
SECTION_ORDER = {
    Section.FINISHED: FINISH_ORDER,
    Section.REJECTED: FINISH_ORDER,
    Section.IN_PROGRESS: PROGRESS_ORDER,
    Section.ELIMINATED: PROGRESS_ORDER,
    Section.WITHDRAWN: PROGRESS_ORDER,
}


def section_of(membership: Membership) -> Section | None:
    if not membership.is_participant:
        return None
    if membership.finish_seq is not None:
        if membership.theory_state == PillarState.REJECTED:
            return Section.REJECTED
        return Section.FINISHED
    if membership.status in {Status.ACTIVE, Status.GRADUATED}:
        return Section.IN_PROGRESS
    if membership.status == Status.ELIMINATED:
        return Section.ELIMINATED
    return Section.WITHDRAWN


def _sort_key(membership: Membership) -> tuple:
    if membership.finish_seq is not None:
        return (membership.finish_seq,)
    at = membership.weeks_done_at
    return (-membership.weeks_done, at is None, at.timestamp() if at else 0.0, membership.pk)


def _ahead_of(viewer: Membership) -> Q:
    """Rows of the viewer's own section that come before the viewer."""
    if viewer.finish_seq is not None:
        return Q(finish_seq__lt=viewer.finish_seq)
    same_count = Q(weeks_done=viewer.weeks_done)
    if viewer.weeks_done_at is None:
        same_time = same_count & (Q(weeks_done_at__isnull=False) | Q(id__lt=viewer.pk))
    else:
        same_time = same_count & (
            Q(weeks_done_at__lt=viewer.weeks_done_at)
            | Q(weeks_done_at=viewer.weeks_done_at, id__lt=viewer.pk)
        )
    return Q(weeks_done__gt=viewer.weeks_done) | same_time


@dataclass(frozen=True)
class BoardStats:
    """Section sizes, the viewer's place in their section, and what the board's version hashes."""

    counts: dict[Section, int]
    graduated: int
    participants: int
    viewer_section: Section | None
    viewer_ahead: int | None
    fingerprint: tuple

    @property
    def finished(self) -> int:
        return self.counts[Section.FINISHED]

    @property
    def in_progress(self) -> int:
        return self.counts[Section.IN_PROGRESS]

    @property
    def version(self) -> str:
        """Changes whenever anything shown on the board changes (ticks, finishes, states, names)."""
        return hashlib.sha1(repr(self.fingerprint).encode(), usedforsecurity=False).hexdigest()[:16]


def _aggregate(cohort: Cohort, viewer: Membership, viewer_section: Section | None) -> dict:
    """One aggregate over the cohort's participants: section sizes, what the board's version
    hashes, and (as "ahead") how many rows of the viewer's section come before them."""
    aggregates = {
        f"s{section.value}": Count("id", filter=condition)
        for section, condition in SECTION_FILTERS.items()
    }
    if viewer_section is not None:
        aggregates["ahead"] = Count(
            "id", filter=SECTION_FILTERS[viewer_section] & _ahead_of(viewer)
        )
    return cohort.memberships.participants().aggregate(
        **aggregates,
        graduated=Count("id", filter=Q(status=Status.GRADUATED)),
        participants=Count("id"),
        weeks=Sum("weeks_done"),
        last_tick=Max("weeks_done_at"),
        last_status=Max("status_changed_at"),
        last_graduation=Max("graduated_at"),
        anonymous=Sum("id", filter=Q(anonymous=True)),
        approved=Sum("id", filter=Q(theory_state=PillarState.APPROVED)),
        submitted=Sum("id", filter=Q(theory_state=PillarState.SUBMITTED)),
    )


def _viewer_ahead(cohort: Cohort, viewer: Membership, section: Section) -> int:
    return cohort.memberships.participants().filter(
        SECTION_FILTERS[section] & _ahead_of(viewer)
    ).count()


def board_stats(*, cohort: Cohort, viewer: Membership) -> BoardStats:
    """Counts, the viewer's rank and a fingerprint, cached until the cohort changes.

    Cold, one aggregate over the cohort's participants (with the viewer's rank); a viewer who
    comes later costs one count; then nothing until the next write.
    """
    viewer_section = section_of(viewer)
    first: dict = {}

    def aggregate():
        row = _aggregate(cohort, viewer, viewer_section)
        if viewer_section is not None:
            first["ahead"] = row.pop("ahead")
        return row

    row = dict(cached_for_cohort(cohort.pk, "board", aggregate))
    if viewer_section is not None:
        # The viewer's own counters are in the key, so their own change shows at once.
        at = viewer.weeks_done_at.timestamp() if viewer.weeks_done_at else None
        key = (
            f"board-ahead:{viewer.pk}:{viewer_section.value}:{viewer.finish_seq}:"
            f"{viewer.weeks_done}:{at}"
        )

        def ahead():
            if "ahead" in first:
                return first["ahead"]
            return _viewer_ahead(cohort, viewer, viewer_section)

        row["ahead"] = cached_for_cohort(cohort.pk, key, ahead)
    counts = {section: row[f"s{section.value}"] for section in Section}
    return BoardStats(
        counts=counts,
        graduated=row["graduated"],
        participants=row["participants"],
        viewer_section=viewer_section,
        viewer_ahead=row.get("ahead"),
        fingerprint=(cohort.pk, cohort.finish_counter, cohort.prize_slots, *sorted(row.items())),
    )


@dataclass
class BoardRow:
    section: Section
    rank: int | None
    name: str
    real_name: str | None  # organizers only
    anonymous: bool
    is_you: bool
    prize: bool
    status: str
    status_label: str
    theory_state: str
    theory_state_label: str
    weeks_done: int
    finished_at: datetime | None  # in the cohort's zone
    days_taken: int | None

    @property
    def section_key(self) -> str:
        return self.section.name.lower()

    def as_public_dict(self) -> dict:
        """What bots and other tools may read: no emails, no ids, anonymous rows anonymised."""
        return {
            "section": self.section_key,
            "rank": self.rank,
            "name": self.name,
            "you": self.is_you,
            "prize": self.prize,
            "status": self.status,
            "verification": self.theory_state,
            "weeks_done": self.weeks_done,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "days_taken": self.days_taken,
        }


@dataclass
class Board:
    cohort: Cohort
    viewer: Membership
    stats: BoardStats
    sections: tuple[Section, ...]
    page: int
    pages: int
    rows: list[BoardRow]
    around_you: list[BoardRow] = field(default_factory=list)
    fragment_key: str = ""  # what the board's HTML shows, for {% cache %}

    @property
    def organizer_view(self) -> bool:
        return self.viewer.is_organizer

    @property
    def you_section(self) -> str | None:
        section = self.stats.viewer_section
        return None if section is None else section.name.lower()

    @property
    def you_rank(self) -> int | None:
        return _rank(self.stats, self.stats.viewer_section, self.stats.viewer_ahead)

    @property
    def ranked(self) -> int:
        """Everyone with a rank: finishes that stand, then everyone still in the race."""
        return self.stats.finished + self.stats.in_progress

    @property
    def prize_slots_left(self) -> int:
        return max(0, self.cohort.prize_slots - self.stats.finished)

    @property
    def you_win_a_prize(self) -> bool:
        return self.stats.viewer_section == Section.FINISHED and self.you_rank <= self.cohort.prize_slots

    @property
    def version(self) -> str:
        return self.stats.version

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def you_page(self) -> int | None:
        index = _viewer_index(self.stats, self.sections)
        return None if index is None else _page_of(index, self.cohort.prize_slots)

    def as_public_dict(self) -> dict:
        cohort = self.cohort
        return {
            "cohort": {
                "slug": cohort.slug,
                "name": cohort.name,
                "time_zone": cohort.time_zone,
                "starts_on": cohort.starts_on.isoformat(),
                "prize_slots": cohort.prize_slots,
            },
            "version": self.version,
            "summary": {
                "finishers": self.stats.finished,
                "in_progress": self.stats.in_progress,
                "eliminated": self.stats.counts[Section.ELIMINATED],
                "prize_slots_left": self.prize_slots_left,
                "you": {"rank": self.you_rank, "of": self.ranked},
            },
            "page": {"number": self.page, "pages": self.pages},
            "rows": [row.as_public_dict() for row in self.rows],
            "around_you": [row.as_public_dict() for row in self.around_you],
        }


def _rank(stats: BoardStats, section: Section | None, ahead: int | None) -> int | None:
    if section == Section.FINISHED:
        return ahead + 1
    if section == Section.IN_PROGRESS:
        return stats.finished + ahead + 1
    return None


def _offsets(stats: BoardStats, sections: tuple[Section, ...]) -> dict[Section, int]:
    offsets, at = {}, 0
    for section in sections:
        offsets[section] = at
        at += stats.counts[section]
    return offsets


def _viewer_index(stats: BoardStats, sections: tuple[Section, ...]) -> int | None:
    if stats.viewer_section not in sections:
        return None
    return _offsets(stats, sections)[stats.viewer_section] + stats.viewer_ahead


def _page_bounds(page: int, prize_slots: int) -> tuple[int, int]:
    first = prize_slots + PAGE_SIZE
    if page == 1:
        return 0, first
    start = first + (page - 2) * PAGE_SIZE
    return start, start + PAGE_SIZE


def _page_of(index: int, prize_slots: int) -> int:
    first = prize_slots + PAGE_SIZE
    return 1 if index < first else 2 + (index - first) // PAGE_SIZE


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for lo, hi in sorted(i for i in intervals if i[0] < i[1]):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def build_board(*, cohort: Cohort, viewer: Membership, stats: BoardStats, page: int = 1) -> Board:
    """The rows of one page, and the viewer's neighbourhood if they are elsewhere: one query."""
    sections = ORGANIZER_SECTIONS if viewer.is_organizer else PARTICIPANT_SECTIONS
    offsets = _offsets(stats, sections)
    total = sum(stats.counts[s] for s in sections)
    pages = _page_of(total - 1, cohort.prize_slots) if total else 1
    page = min(max(page, 1), pages)
    page_lo, page_hi = _page_bounds(page, cohort.prize_slots)
    page_range = (page_lo, min(page_hi, total))
    wanted = [page_range]
    you = _viewer_index(stats, sections)
    around = None
    if you is not None and not page_lo <= you < page_hi:
        around = (max(0, you - NEIGHBOURS), min(total, you + NEIGHBOURS + 1))
        wanted.append(around)

    slices: dict[Section, list[tuple[int, int]]] = {}
    for lo, hi in _merge(wanted):
        for section in sections:
            start, end = offsets[section], offsets[section] + stats.counts[section]
            if max(lo, start) < min(hi, end):
                slices.setdefault(section, []).append((max(lo, start) - start, min(hi, end) - start))
    # The rows are the viewer's own (their row is marked, organizers see real names) and in
    # their language; the board's version and the cohort's cover everything else they show.
    key = f"board-rows:{viewer.pk}:{get_language()}:{stats.version}:{sorted(slices.items())}"
    by_index = cached_for_cohort(
        cohort.pk, hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest(),
        lambda: _fetch(cohort, viewer, stats, offsets, slices),
    )

    def rows(interval):
        return [by_index[i] for i in range(*interval) if i in by_index]

    return Board(
        cohort=cohort, viewer=viewer, stats=stats, sections=sections, page=page, pages=pages,
        rows=rows(page_range), around_you=rows(around) if around else [],
        fragment_key=f"{cohort_version(cohort.pk)}:{key}:{page}",
    )


def _fetch(cohort, viewer, stats, offsets, slices) -> dict[int, BoardRow]:
    if not slices:
        return {}
    participants = cohort.memberships.participants()
    wanted = reduce(
        or_,
        (
            Q(pk__in=participants.filter(SECTION_FILTERS[section])
              .order_by(*SECTION_ORDER[section])[lo:hi].values("pk"))
            for section, parts in slices.items()
            for lo, hi in parts
        ),
    )
    grouped: dict[Section, list[Membership]] = {}
    for membership in participants.filter(wanted):
        grouped.setdefault(section_of(membership), []).append(membership)
    by_index = {}
    for section, parts in slices.items():
        members = iter(sorted(grouped.get(section, []), key=_sort_key))
        positions = (j for lo, hi in parts for j in range(lo, hi))
        # Rows that moved between the two queries are simply left out until the next refresh.
        for j, membership in zip(positions, members):
            by_index[offsets[section] + j] = _row(cohort, viewer, stats, section, j, membership)
    return by_index


def public_name(membership: Membership) -> str:
    if membership.status == Status.WITHDRAWN:
        return _("Withdrawn participant")
    return membership.public_name


def _row(cohort, viewer, stats, section, index, membership) -> BoardRow:
    rank = _rank(stats, section, index)
    finished_at = days = None
    if membership.finish_seq is not None and membership.theory_completed_at:
        finished_at = timezone.localtime(membership.theory_completed_at, cohort.tz)
        days = (finished_at.date() - cohort.starts_on).days
    return BoardRow(
        section=section,
        rank=rank,
        name=public_name(membership),
        real_name=membership.display_name if viewer.is_organizer else None,
        anonymous=membership.anonymous,
        is_you=membership.pk == viewer.pk,
        prize=section == Section.FINISHED and rank <= cohort.prize_slots,
        status=membership.status,
        status_label=membership.get_status_display(),
        theory_state=membership.theory_state,
        theory_state_label=membership.get_theory_state_display(),
        weeks_done=membership.weeks_done,
        finished_at=finished_at,
        days_taken=days,
    )


# How the cohort compares ---------------------------------------------------------------------


@dataclass
class BurnupDay:
    day: date
    weeks: int
    finishers: int
    weeks_percent: float
    finishers_percent: float


@dataclass
class KaggleRow:
    name: str
    competition: str
    category: str
    rank: int
    teams: int
    percentile: float
    medal: str
    medal_label: str
    state: str
    state_label: str
    is_you: bool


@dataclass
class GraduateRow:
    position: int
    name: str
    graduated_at: datetime | None
    is_you: bool


@dataclass
class Comparison:
    total_weeks: int
    participants: int
    burnup: list[BurnupDay]
    distribution: list[tuple[int, int]]
    your_weeks: int | None
    your_pace: int | None
    median_pace: float
    pace_window_days: int
    kaggle: list[KaggleRow]
    graduates: list[GraduateRow]
    fragment_key: str = ""  # what the comparison's HTML shows, for {% cache %}

    @cached_property
    def burnup_chart(self) -> charts.LineChart:
        return charts.percent_line_chart(
            labels=[d.day for d in self.burnup],
            series={
                "weeks": [d.weeks_percent for d in self.burnup],
                "finishers": [d.finishers_percent for d in self.burnup],
            },
        )

    @cached_property
    def distribution_chart(self) -> charts.BarChart:
        return charts.column_chart(
            items=[(weeks, n, weeks == self.your_weeks) for weeks, n in self.distribution]
        )

    @cached_property
    def pace_chart(self) -> charts.BarChart:
        items = [(_("Cohort median"), self.median_pace, False)]
        if self.your_pace is not None:
            items.insert(0, (_("You"), self.your_pace, True))
        return charts.row_chart(items=items)

    def as_public_dict(self) -> dict:
        return {
            "total_weeks": self.total_weeks,
            "burnup": [
                {"date": d.day.isoformat(), "weeks_completed": d.weeks, "finishers": d.finishers}
                for d in self.burnup
            ],
            "distribution": [{"weeks_done": w, "participants": n} for w, n in self.distribution],
            "pace": {
                "window_days": self.pace_window_days,
                "you": self.your_pace,
                "cohort_median": self.median_pace,
            },
            "kaggle": [
                {
                    "name": k.name, "competition": k.competition, "category": k.category,
                    "rank": k.rank, "teams": k.teams, "percentile": k.percentile,
                    "medal": k.medal, "verification": k.state, "you": k.is_you,
                }
                for k in self.kaggle
            ],
            "graduation": [
                {
                    "position": g.position, "name": g.name, "you": g.is_you,
                    "graduated_at": g.graduated_at.isoformat() if g.graduated_at else None,
                }
                for g in self.graduates
            ],
        }


def _burnup(cohort, members, participants: int, weeks_total: int, today: date) -> list[BurnupDay]:
    """Cumulative weeks completed and finishes that stand, per day in the cohort's zone."""
    tz = cohort.tz
    ticks = dict(
        WeekCompletion.objects.filter(membership__in=members.values("pk"))
        .annotate(day=TruncDate("completed_at", tzinfo=tz))
        .values("day").annotate(n=Count("pk")).order_by().values_list("day", "n")
    )
    finishes = dict(
        members.filter(STANDING)
        .annotate(day=TruncDate("theory_completed_at", tzinfo=tz))
        .values("day").annotate(n=Count("pk")).order_by().values_list("day", "n")
    )
    last = min(today, cohort.ends_on)
    if last < cohort.starts_on:
        return []
    weeks = sum(n for day, n in ticks.items() if day and day < cohort.starts_on)
    finishers = sum(n for day, n in finishes.items() if day and day < cohort.starts_on)
    capacity = participants * weeks_total
    days = []
    for offset in range((last - cohort.starts_on).days + 1):
        day = cohort.starts_on + timedelta(days=offset)
        weeks += ticks.get(day, 0)
        finishers += finishes.get(day, 0)
        days.append(
            BurnupDay(
                day=day, weeks=weeks, finishers=finishers,
                weeks_percent=round(100 * weeks / capacity, 1) if capacity else 0.0,
                finishers_percent=round(100 * finishers / participants, 1) if participants else 0.0,
            )
        )
    return days


def _median_from_histogram(histogram: dict[int, int]) -> float:
    values = [value for value, n in sorted(histogram.items()) for _ in range(n)]
    return float(statistics.median(values)) if values else 0.0


def _cohort_comparison(cohort: Cohort, now: datetime) -> dict:
    """The cohort-wide part of the comparison: each one GROUP BY or one short ordered query."""
    weeks_total = total_weeks(cohort)
    members = cohort.memberships.participants()
    current = members.exclude(status=Status.WITHDRAWN)
    distribution = dict(
        current.values("weeks_done").annotate(n=Count("pk")).order_by().values_list("weeks_done", "n")
    )
    since = now - timedelta(days=PACE_WINDOW_DAYS)
    recent = (
        WeekCompletion.objects.filter(membership=OuterRef("pk"), completed_at__gte=since)
        .order_by().values("membership").annotate(n=Count("pk")).values("n")
    )
    pace = dict(
        members.filter(status=Status.ACTIVE)
        .annotate(recent=Coalesce(Subquery(recent), Value(0)))
        .values("recent").annotate(n=Count("pk")).order_by().values_list("recent", "n")
    )
    kaggle = list(
        KaggleSubmission.objects.filter(
            membership__in=current.values("pk"),
            status__in=[KaggleSubmission.Status.APPROVED, KaggleSubmission.Status.SUBMITTED],
        )
        .select_related("membership")
        .order_by("percentile", "submitted_at", "pk")[:PILLAR_BOARD_ROWS]
    )
    graduates = list(
        members.filter(status=Status.GRADUATED).order_by("graduated_at", "id")[:PILLAR_BOARD_ROWS]
    )
    participants = sum(distribution.values())
    today = timezone.localtime(now, cohort.tz).date()
    return {
        "total_weeks": weeks_total,
        "participants": participants,
        "burnup": _burnup(cohort, current, participants, weeks_total, today),
        "distribution": [(w, distribution.get(w, 0)) for w in range(weeks_total + 1)],
        "median_pace": _median_from_histogram(pace),
        "kaggle": kaggle,
        "graduates": graduates,
    }


def build_comparison(
    *, cohort: Cohort, viewer: Membership, now: datetime | None = None
) -> Comparison:
    """Charts and pillar boards: the cohort's part cached per version and hour, the viewer's
    own part read."""
    now = now or timezone.now()
    # The pace window slides with the clock and the burn-up grows by day: an hour at most.
    hour = timezone.localtime(now, cohort.tz).strftime("%Y%m%d%H")
    data = cached_for_cohort(
        cohort.pk, f"comparison:{hour}", lambda: _cohort_comparison(cohort, now)
    )
    your_pace = None
    if viewer.is_participant:
        since = now - timedelta(days=PACE_WINDOW_DAYS)
        your_pace = viewer.completions.filter(completed_at__gte=since).count()
    yours = (
        viewer.weeks_done if viewer.is_participant else None, your_pace,
        [k.membership_id == viewer.pk for k in data["kaggle"]],
        [m.pk == viewer.pk for m in data["graduates"]],
    )
    return Comparison(
        fragment_key=f"{cohort_version(cohort.pk)}:{hour}:{get_language()}:{yours}",
        total_weeks=data["total_weeks"],
        participants=data["participants"],
        burnup=data["burnup"],
        distribution=data["distribution"],
        your_weeks=viewer.weeks_done if viewer.is_participant else None,
        your_pace=your_pace,
        median_pace=data["median_pace"],
        pace_window_days=PACE_WINDOW_DAYS,
        kaggle=[
            KaggleRow(
                name=public_name(k.membership), competition=k.competition_title,
                category=k.get_category_display(), rank=k.rank, teams=k.teams,
                percentile=float(k.percentile), medal=k.medal, medal_label=k.get_medal_display(),
                state=k.status, state_label=k.get_status_display(),
                is_you=k.membership_id == viewer.pk,
            )
            for k in data["kaggle"]
        ],
        graduates=[
            GraduateRow(
                position=i, name=public_name(m),
                graduated_at=timezone.localtime(m.graduated_at, cohort.tz) if m.graduated_at else None,
                is_you=m.pk == viewer.pk,
            )
            for i, m in enumerate(data["graduates"], start=1)
        ],
    )
