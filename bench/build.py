"""A synthetic cohort of N participants in its own database, written with COPY.

    python -m bench.build --participants 10000          # into bench_10k, cohort bench-10000

The progress is what `record_history` would leave: week completions at plausible times, each
membership's counters derived from its completions, and finish_seq numbering the finishers
contiguously in the order of their theory completion time. A database that already holds the
cohort at the current BUILD_VERSION is reused as it is.
"""

import argparse
import os
import random
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from . import config

BUILD_VERSION = "v1"
CURRICULUM = Path(__file__).resolve().parent.parent / "curricula" / "deep-learning-specialization.toml"

# (share, profile): the spread of a cohort six weeks in, as in cohorts/demo.py.
PROFILES = [
    (0.08, "finisher"),
    (0.30, "on_track"),
    (0.22, "steady"),
    (0.15, "behind"),
    (0.10, "idle"),
    (0.15, "eliminated"),
]
SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신"]
GIVEN = ["민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "하은", "지호", "수아",
         "예준", "지민", "유진", "현우", "다은", "준서", "채원", "건우", "소율", "태윤"]


def ensure_database(n: int) -> bool:
    """Create bench_<n> if missing; True if it was created."""
    name = config.database_name(n)
    assert name.startswith("bench_")
    with psycopg.connect(f"{config.PG_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return not exists


def drop_database(n: int) -> None:
    name = config.database_name(n)
    assert name.startswith("bench_")
    with psycopg.connect(f"{config.PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def cohort_name(n: int) -> str:
    return f"Bench cohort {n} ({BUILD_VERSION})"


def copy_rows(model, rows: list[dict]) -> int:
    """COPY rows (attname -> value) into the model's table; other columns get their defaults."""
    from django.db import connection
    from django.db.models import JSONField
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    if not rows:
        return 0
    given = set(rows[0])
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk or pk.attname in given]
    now = timezone.now()
    plan = []
    for field in fields:
        wrap = Jsonb if isinstance(field, JSONField) else None
        if field.attname in given:
            plan.append(("given", field.attname, wrap))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            plan.append(("const", now, None))
        elif field.has_default() and callable(field.default):
            plan.append(("call", field.get_default, wrap))
        else:
            plan.append(("const", field.get_default(), wrap))
    columns = sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), columns
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = []
            for kind, what, wrap in plan:
                value = row[what] if kind == "given" else what() if kind == "call" else what
                values.append(wrap(value) if wrap is not None and value is not None else value)
            copy.write_row(values)
    return len(rows)


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _reset_sequences(*models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def _cohort(n: int, today):
    from cohorts.demo import create_cohort

    cohort = create_cohort(slug=config.slug(n), name=cohort_name(n), join_code=f"BENCH{n}", today=today)
    return cohort, cohort.kaggle_routes.get(categories=["featured"])


def _weeks_done(profile: str, rng: random.Random) -> tuple[int, int]:
    """(weeks done, days since the last tick) for a profile."""
    return {
        "finisher": lambda: (17, rng.randint(0, 10)),
        "on_track": lambda: (rng.randint(10, 14), rng.randint(0, 3)),
        "steady": lambda: (rng.randint(8, 10), rng.randint(0, 4)),
        "behind": lambda: (rng.randint(7, 8), rng.randint(2, 6)),
        "idle": lambda: (7, rng.randint(8, 12)),
        "eliminated": lambda: (rng.randint(1, 6), rng.randint(8, 30)),
    }[profile]()


def build_cohort(n: int) -> dict:
    """Write the cohort bench-<n> with n participants; returns row counts and seconds."""
    from allauth.account.models import EmailAddress
    from django.db import connection, transaction
    from django.utils import timezone

    from courses.kaggle import medal_for, percentile
    from courses.models import Certification, Week

    from cohorts.models import (
        AuditEvent, CertificateSubmission, Deadline, KaggleSubmission, Membership, User,
        WeekCompletion,
    )

    started = time.monotonic()
    rng = random.Random(n)
    now = timezone.now()
    counts: dict[str, int] = {}
    with transaction.atomic():
        cohort, featured = _cohort(n, now.astimezone(cohort_tz()).date())
        weeks = list(Week.objects.of(cohort.specialization_id).select_related("course"))
        weeks.sort(key=lambda w: (w.course.number, w.number))
        due = {
            d.through_course: d.due_at for d in cohort.deadlines.filter(kind=Deadline.Kind.THEORY)
        }
        certification = Certification.objects.get(slug="tensorflow-developer")
        organizer = User.objects.create_user("organizer@bench.example.com", None, name="Bench Organizer")
        EmailAddress.objects.create(user=organizer, email=organizer.email, verified=True, primary=True)
        Membership.objects.create(
            user=organizer, cohort=cohort, role=Membership.Role.ORGANIZER,
            display_name="Bench Organizer",
        )

        user_id, membership_id, completion_id = (
            _next_id(User), _next_id(Membership), _next_id(WeekCompletion)
        )
        users, emails, memberships, completions = [], [], [], []
        certificates, kaggles, audits = [], [], []
        shares = [share for share, _ in PROFILES]
        names = [profile for _, profile in PROFILES]
        for i in range(n):
            profile = rng.choices(names, shares)[0]
            done, quiet_days = _weeks_done(profile, rng)
            email = f"p{i:06d}@bench.example.com"
            english = i % 7 == 0
            name = f"Learner {i}" if english else rng.choice(SURNAMES) + rng.choice(GIVEN)
            users.append({
                "id": user_id, "password": f"!bench{i}", "email": email, "name": name,
                "language": "en" if english else "ko", "date_joined": cohort.starts_at,
            })
            emails.append({"user_id": user_id, "email": email, "verified": True, "primary": True})
            last = now - timedelta(days=quiet_days, hours=rng.uniform(1, 20))
            at, times = cohort.starts_at, []
            for week in weeks[:done]:
                bound = min(due[week.course.number] - timedelta(hours=1), last)
                at = at + (bound - at) * rng.uniform(0.2, 0.6) if bound > at else at
                times.append(at)
                completions.append({
                    "id": completion_id, "membership_id": membership_id, "week_id": week.pk,
                    "completed_at": at, "note_url": "",
                })
                completion_id += 1
            latest = max(times) if times else None
            row = {
                "id": membership_id, "user_id": user_id, "cohort_id": cohort.pk,
                "role": Membership.Role.PARTICIPANT, "status": Membership.Status.ACTIVE,
                "display_name": name, "anonymous": rng.random() < 0.05,
                "joined_at": cohort.starts_at, "weeks_done": done, "weeks_done_at": latest,
                "last_activity_at": latest,
                "theory_completed_at": latest if done == len(weeks) else None,
                "finish_seq": None, "certificate_state": Membership.PillarState.NOT_STARTED,
                "kaggle_state": Membership.PillarState.NOT_STARTED, "status_reason": "",
                "status_changed_at": None,
            }
            if profile == "eliminated":
                mission = 1 if done < 4 else 2
                row.update(
                    status=Membership.Status.ELIMINATED, status_reason=f"Missed Mission {mission}.",
                    status_changed_at=due[mission] + timedelta(minutes=5),
                )
                audits.append({
                    "cohort_id": cohort.pk, "membership_id": membership_id, "actor_id": None,
                    "action": AuditEvent.Action.ELIMINATED, "reason": row["status_reason"],
                    "data": {}, "created_at": row["status_changed_at"],
                })
            if profile in {"finisher", "on_track"} and rng.random() < 0.4:
                approved = rng.random() < 0.6
                submitted_at = now - timedelta(days=rng.uniform(1, 20))
                certificates.append({
                    "membership_id": membership_id,
                    "status": "approved" if approved else "submitted",
                    "submitted_at": submitted_at,
                    "reviewed_by_id": organizer.pk if approved else None,
                    "reviewed_at": submitted_at + timedelta(days=1) if approved else None,
                    "review_reason": "", "certification_id": certification.pk,
                    "credential_id": f"TF-{i:06d}",
                    "credential_url": f"https://www.credential.net/bench-{i}",
                    "passed_on": submitted_at.date(), "note": "",
                })
                row["certificate_state"] = "approved" if approved else "submitted"
            if (profile == "finisher" and rng.random() < 0.3) or (
                profile == "on_track" and rng.random() < 0.1
            ):
                approved = rng.random() < 0.5
                teams, rank = 2000, rng.randint(1, 800)
                submitted_at = now - timedelta(days=rng.uniform(1, 20))
                kaggles.append({
                    "membership_id": membership_id,
                    "status": "approved" if approved else "submitted",
                    "submitted_at": submitted_at,
                    "reviewed_by_id": organizer.pk if approved else None,
                    "reviewed_at": submitted_at + timedelta(days=1) if approved else None,
                    "review_reason": "",
                    "competition_url": "https://www.kaggle.com/competitions/bench",
                    "competition_title": "Bench Featured Competition", "category": "featured",
                    "awards_medals": True, "team_name": "", "team_size": 1, "rank": rank,
                    "teams": teams, "evidence_url": f"https://www.kaggle.com/bench/{i}",
                    "percentile": percentile(rank=rank, teams=teams),
                    "medal": medal_for(rank=rank, teams=teams), "route_id": featured.pk,
                })
                row["kaggle_state"] = "approved" if approved else "submitted"
            memberships.append(row)
            user_id += 1
            membership_id += 1

        # Finishes are numbered in the order they happened, as record_history does.
        finishers = sorted(
            (m for m in memberships if m["theory_completed_at"] is not None),
            key=lambda m: (m["theory_completed_at"], m["id"]),
        )
        for seq, m in enumerate(finishers, start=1):
            m["finish_seq"] = seq
        cohort.finish_counter = len(finishers)
        cohort.save(update_fields=["finish_counter"])

        counts["users"] = copy_rows(User, users)
        counts["email_addresses"] = copy_rows(EmailAddress, emails)
        counts["memberships"] = copy_rows(Membership, memberships)
        counts["completions"] = copy_rows(WeekCompletion, completions)
        counts["certificate_submissions"] = copy_rows(CertificateSubmission, certificates)
        counts["kaggle_submissions"] = copy_rows(KaggleSubmission, kaggles)
        counts["audit_events"] = copy_rows(AuditEvent, audits)
        counts["finishers"] = len(finishers)
        _reset_sequences(User, EmailAddress, Membership, WeekCompletion, CertificateSubmission,
                         KaggleSubmission, AuditEvent)
    connection.close()
    with psycopg.connect(config.database_url(n), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def cohort_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Seoul")


def check_consistency(n: int) -> list[str]:
    """The invariants record_history keeps; an empty list when the cohort is consistent."""
    from django.db import connection

    queries = {
        "weeks_done differs from the completions": """
            SELECT count(*) FROM cohorts_membership m JOIN cohorts_cohort c ON c.id = m.cohort_id
            LEFT JOIN (SELECT membership_id, count(*) k, max(completed_at) t
                       FROM cohorts_weekcompletion GROUP BY membership_id) w
                   ON w.membership_id = m.id
            WHERE c.slug = %s AND m.role = 'participant' AND (
                m.weeks_done <> coalesce(w.k, 0)
                OR m.weeks_done_at IS DISTINCT FROM w.t
                OR (m.weeks_done = 17) <> (m.theory_completed_at IS NOT NULL)
                OR (m.theory_completed_at IS NOT NULL AND m.theory_completed_at <> w.t))""",
        "finish_seq not contiguous in finish-time order": """
            SELECT count(*) FROM (
                SELECT finish_seq, row_number() OVER (ORDER BY theory_completed_at, m.id) r
                FROM cohorts_membership m JOIN cohorts_cohort c ON c.id = m.cohort_id
                WHERE c.slug = %s AND finish_seq IS NOT NULL) s
            WHERE finish_seq <> r""",
    }
    problems = []
    with connection.cursor() as cursor:
        for problem, query in queries.items():
            cursor.execute(query, [config.slug(n)])
            bad = cursor.fetchone()[0]
            if bad:
                problems.append(f"{problem}: {bad} rows")
    return problems


def ensure_cohort(n: int, *, rebuild: bool = False, log=print) -> dict:
    """A database bench_<n> holding the cohort; reused when it is already there."""
    from django.core.management import call_command
    from django.db import connection

    if rebuild:
        connection.close()
        drop_database(n)
    ensure_database(n)
    call_command("migrate", verbosity=0, interactive=False)
    from cohorts.models import Cohort

    cohort = Cohort.objects.filter(slug=config.slug(n)).first()
    if cohort is not None and (
        cohort.name != cohort_name(n) or cohort.memberships.participants().count() != n
    ):
        log(f"  {config.database_name(n)} holds an outdated cohort: rebuilding")
        connection.close()
        drop_database(n)
        ensure_database(n)
        call_command("migrate", verbosity=0, interactive=False)
        cohort = None
    if cohort is not None:
        return {"reused": True}
    call_command("load_curriculum", str(CURRICULUM), verbosity=0, stdout=open(os.devnull, "w"))
    log(f"  building {n} participants into {config.database_name(n)} ...")
    counts = build_cohort(n)
    return {"reused": False, **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, required=True)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    n = args.participants
    os.environ.update(config.server_env(n), DJANGO_DB_POOL="0")
    import django

    django.setup()
    started = time.monotonic()
    report = ensure_cohort(n, rebuild=args.rebuild)
    problems = check_consistency(n)
    print({**report, "total_seconds": round(time.monotonic() - started, 1), "problems": problems})
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
