"""The demo cohort of DESIGN.md: alive today, about 60 participants at varied progress."""

import random
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courses.curriculum import load_file
from courses.models import Certification, Specialization, Week

from .models import Cohort, Deadline, KaggleRoute, Membership, User
from .progress import record_history
from .status import eliminate
from .submissions import submit_certificate, submit_kaggle, submit_theory_evidence

DEMO_SLUG = "ml-bootcamp-demo"
DEMO_PASSWORD = "bootcamp-demo"  # demo only; seed_demo refuses to run with DEBUG off
CURRICULUM = Path(settings.BASE_DIR) / "curricula" / "deep-learning-specialization.toml"

SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신"]
GIVEN = ["민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "하은", "지호", "수아",
         "예준", "지민", "유진", "현우", "다은", "준서", "채원", "건우", "소율", "태윤"]
ENGLISH = ["Alex Kim", "Jordan Lee", "Sam Park", "Taylor Choi", "Morgan Jung", "Chris Kang"]

# (how many, weeks done, profile). Missions 1 and 2 (7 weeks) are past; Mission 3 asks for 9.
PROFILES = [
    (9, 17, "finisher"),
    (14, 13, "on_track"),
    (12, 10, "steady"),
    (10, 7, "behind"),
    (6, 7, "idle"),
    (6, 3, "eliminated"),
]


def _user(email: str, name: str, language: str = "ko", can_log_in: bool = False) -> User:
    """Only the two documented demo accounts get a password; the crowd cannot log in."""
    user, created = User.objects.get_or_create(
        email=email, defaults={"name": name, "language": language}
    )
    if created:
        if can_log_in:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def create_cohort(*, slug: str, name: str, join_code: str, today) -> Cohort:
    """A cohort in the 2023 shape, six weeks in: five missions, certificate, Kaggle, graduation."""
    spec = Specialization.objects.get(slug="deep-learning")
    cohort = Cohort.objects.create(
        slug=slug,
        name=name,
        specialization=spec,
        starts_on=today - timedelta(days=42),
        ends_on=today + timedelta(days=90),
        reminder_offsets=[7, 3, 1],
        join_code=join_code,
    )
    cohort.accepted_certifications.set(Certification.objects.filter(slug="tensorflow-developer"))
    missions = [(1, -28), (2, -7), (3, 5), (4, 19), (5, 35)]
    for course, offset in missions:
        Deadline.objects.create(
            cohort=cohort, kind=Deadline.Kind.THEORY, title=f"Mission {course}",
            through_course=course, due_at=cohort.end_of_day(today + timedelta(days=offset)),
        )
    for kind, title, offset in [
        (Deadline.Kind.CERTIFICATE, "TensorFlow Developer Certificate", 60),
        (Deadline.Kind.KAGGLE, "Kaggle competition", 80),
        (Deadline.Kind.GRADUATION, "Graduation", 90),
    ]:
        Deadline.objects.create(
            cohort=cohort, kind=kind, title=title,
            due_at=cohort.end_of_day(today + timedelta(days=offset)),
        )
    KaggleRoute.objects.create(
        cohort=cohort, name="Featured competition, top 40%", categories=["featured"], top_percent=40
    )
    KaggleRoute.objects.create(
        cohort=cohort, name="Team in Playground or Community, top 20%",
        categories=["playground", "community"], top_percent=20, team_required=True, max_team_size=3,
    )
    return cohort


def _history(weeks: list, due: dict, done: int, start, last, rng: random.Random):
    """`done` weeks ticked at plausible times, each before the mission that requires it."""
    ticks, at = [], start
    for week in weeks[:done]:
        bound = min(due[week.course.number] - timedelta(hours=1), last)
        at = at + (bound - at) * rng.uniform(0.2, 0.6) if bound > at else at
        ticks.append((week, at))
    return ticks


@transaction.atomic
def seed_demo() -> Cohort:
    """Create the demo cohort once; running it again leaves everything as it is."""
    existing = Cohort.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        return existing
    now = timezone.now()
    load_file(CURRICULUM)
    cohort = create_cohort(
        slug=DEMO_SLUG, name="Google ML Bootcamp Demo", join_code="DEMO2026",
        today=now.astimezone(ZoneInfo("Asia/Seoul")).date(),
    )
    weeks = list(Week.objects.of(cohort.specialization).select_related("course"))
    due = {d.through_course: d.due_at for d in cohort.deadlines.filter(kind=Deadline.Kind.THEORY)}
    rng = random.Random(2026)

    organizer = _user("organizer@example.com", "Organizer Kim", "en", can_log_in=True)
    Membership.objects.create(
        user=organizer, cohort=cohort, role=Membership.Role.ORGANIZER, display_name="Organizer Kim"
    )
    histories = []
    demo = _user("participant@example.com", "Demo Participant", "en", can_log_in=True)
    histories.append((demo, "Demo Participant", 8, "steady"))
    n = 0
    for count, done, profile in PROFILES:
        for _ in range(count):
            n += 1
            name = (
                ENGLISH[n % len(ENGLISH)] + f" {n}"
                if n % 7 == 0
                else rng.choice(SURNAMES) + rng.choice(GIVEN)
            )
            jitter = rng.randint(0, 1) if profile in {"on_track", "steady", "behind"} else 0
            user = _user(f"learner{n:02d}@example.com", name, "en" if n % 7 == 0 else "ko")
            histories.append((user, name, max(done + jitter, 0), profile))

    records = []
    for user, name, done, profile in histories:
        membership = Membership.objects.create(
            user=user, cohort=cohort, display_name=name, anonymous=rng.random() < 0.05,
            joined_at=cohort.starts_at,
        )
        quiet_days = rng.randint(8, 12) if profile in {"idle", "eliminated"} else rng.randint(0, 4)
        last = now - timedelta(days=quiet_days, hours=rng.randint(1, 20))
        ticks = _history(weeks, due, done, cohort.starts_at, last, rng)
        records.append((ticks[-1][1] if ticks else cohort.starts_at, membership, ticks, profile))
    # Finishes are numbered in the order they happened.
    for _at, membership, ticks, profile in sorted(records, key=lambda r: r[0]):
        record_history(membership=membership, ticks=ticks)
        if profile == "eliminated":
            mission = 1 if membership.weeks_done < 4 else 2
            eliminate(membership=membership, reason=f"Missed Mission {mission}.", notify=False)
    _evidence(cohort)
    return cohort


def _evidence(cohort: Cohort) -> None:
    """Pending evidence, so the organizers' verification queue has something in it."""
    finishers = list(cohort.memberships.finishers().select_related("cohort")[:6])
    for n, membership in enumerate(finishers):
        submit_theory_evidence(
            membership=membership,
            certificate_url=f"https://www.coursera.org/account/accomplishments/specialization/DEMO{n:04d}",
        )
        if n % 2 == 0:
            submit_certificate(
                membership=membership, certification=Certification.objects.get(slug="tensorflow-developer"),
                credential_id=f"TF-DEMO-{n:04d}", credential_url=f"https://www.credential.net/demo-{n:04d}",
                passed_on=timezone.localdate(timezone=cohort.tz) - timedelta(days=3 + n),
            )
        if n < 2:
            submit_kaggle(
                membership=membership, competition_url="https://www.kaggle.com/competitions/playground-series-s5e1",
                competition_title="Playground Series S5E1", category="playground", awards_medals=False,
                team_name="Demo Tensors", team_size=2, rank=150 + 40 * n, teams=1200,
                evidence_url="https://www.kaggle.com/competitions/playground-series-s5e1/leaderboard",
            )
