"""The benchmark: `make bench` (BENCH_SIZES=1000,10000,100000).

    python -m bench.run --sizes 1000,10000

Each size runs in its own process (its own DATABASE_URL): build or reuse bench_<n>, count the
queries of each endpoint in-process, start gunicorn with production settings, drive every
scenario with headless Locust, then write bench/results/latest.json and latest.md.
"""

import argparse
import csv
import inspect
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone as dt_timezone
from importlib import import_module
from pathlib import Path

from . import config

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PAGES = ["floor", "dashboard", "leaderboard", "leaderboard_json", "organize"]


def log(*args):
    print(*args, flush=True)


# ---------------------------------------------------------------- in-process, one size


class SizeRun:
    def __init__(self, n: int, workdir: Path):
        self.n = n
        self.slug = config.slug(n)
        self.workdir = workdir
        self.result: dict = {"n": n, "scenarios": {}}
        self.sessions: list[str] = []
        self.restore = None

    # --- setup

    def setup(self):
        from django.conf import settings

        from .build import check_consistency, ensure_cohort

        started = time.monotonic()
        self.result["build"] = ensure_cohort(self.n, log=log)
        self.result["build"]["total_seconds"] = round(time.monotonic() - started, 1)
        problems = check_consistency(self.n)
        if problems:  # e.g. an interrupted run: start over rather than measure a wrong cohort
            log(f"  bench-{self.n} is inconsistent ({problems}): rebuilding")
            self.result["build"] = ensure_cohort(self.n, rebuild=True, log=log)
            problems = check_consistency(self.n)
            if problems:
                raise SystemExit(f"bench-{self.n} is inconsistent: {problems}")
        log(f"  database {config.database_name(self.n)}: {self.result['build']}")
        self.settings = settings
        self._flush_redis()
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)

    def _flush_redis(self):
        from redis import Redis

        Redis.from_url(config.REDIS_URL).flushdb()

    def url(self, key: str, **kwargs) -> str | None:
        from django.urls import NoReverseMatch, reverse

        if key == "floor":
            return "/bench/floor/"
        try:
            return reverse(config.ENDPOINTS[key], kwargs={"slug": self.slug, **kwargs})
        except NoReverseMatch:
            return None

    # --- sessions made directly in the session store

    def member(self, user) -> dict:
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.middleware.csrf import CSRF_SESSION_KEY

        store = import_module(self.settings.SESSION_ENGINE).SessionStore()
        csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        store[SESSION_KEY] = user._meta.pk.value_to_string(user)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[CSRF_SESSION_KEY] = csrf
        store.create()
        self.sessions.append(store.session_key)
        cookie = (
            f"{self.settings.SESSION_COOKIE_NAME}={store.session_key}; "
            f"{self.settings.CSRF_COOKIE_NAME}={csrf}"
        )
        return {"cookie": cookie, "csrf": csrf, "session": store.session_key, "user": user.pk}

    def members(self, queryset) -> list[dict]:
        from django.db import transaction

        with transaction.atomic():
            return [self.member(m.user) for m in queryset.select_related("user")]

    def drop_sessions(self):
        store = import_module(self.settings.SESSION_ENGINE).SessionStore()
        for key in self.sessions:
            store.delete(key)
        self.sessions = []

    def prepare_members(self):
        from cohorts.models import Membership

        cohort_members = Membership.objects.filter(cohort__slug=self.slug)
        participants = cohort_members.participants().active().order_by("id")
        # 16 different participants, spread over the roster and its progress.
        step = max(participants.count() // config.USERS, 1)
        ids = list(participants.values_list("id", flat=True)[::step][: config.USERS])
        self.participants = self.members(Membership.objects.filter(id__in=ids))
        self.organizers = self.members(cohort_members.organizers()[:1])

    # --- queries per request, in-process through the same middleware

    def client(self, member: dict | None):
        from django.test import Client

        client = Client(
            HTTP_HOST="127.0.0.1",
            headers={k: v for k, v in config.REQUEST_HEADERS.items()},
        )
        if member:
            client.cookies[self.settings.SESSION_COOKIE_NAME] = member["session"]
            client.cookies[self.settings.CSRF_COOKIE_NAME] = member["csrf"]
        return client

    @staticmethod
    def send(client, path: str, member: dict | None, *, post: bool):
        """One page GET, or one tick POSTed through htmx as the member's browser would."""
        if post:
            return client.post(
                path, secure=True, headers={"X-CSRFToken": member["csrf"], "HX-Request": "true"}
            )
        return client.get(path, secure=True)

    def count_queries(self, path: str, member: dict | None, *, post: bool = False) -> dict:
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        client = self.client(member)
        counts = []
        with transaction.atomic():
            # A page twice: the first fills the caches (cold), the second is what every later
            # request costs until the cohort changes (warm). A tick once.
            for _ in range(1 if post else 2):
                with CaptureQueriesContext(connection) as queries:
                    response = self.send(client, path, member, post=post)
                    size = (
                        sum(len(chunk) for chunk in response.streaming_content)
                        if response.streaming
                        else len(response.content)
                    )
                # Savepoints are the test transaction's, not the request's.
                counts.append(
                    sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"])
                )
            transaction.set_rollback(True)  # a tick measured here leaves no trace
        return {
            "status": response.status_code, "queries": counts[-1], "queries_cold": counts[0],
            "bytes": size,
        }

    # --- gunicorn

    def start_gunicorn(self):
        env = {**os.environ, **config.server_env(self.n)}
        env.pop("DJANGO_DB_POOL", None)  # web processes keep their pool, as in production
        self.gunicorn_log = open(self.workdir / "gunicorn.log", "w")
        self.gunicorn = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "bootcamp.wsgi:application",
                "--bind", f"127.0.0.1:{config.PORT_WEB}", "--workers", str(config.WORKERS),
                "--worker-class", "sync", "--timeout", "120", "--log-level", "warning",
            ],
            cwd=ROOT, env=env, stdout=self.gunicorn_log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{config.PORT_WEB}/bench/floor/", timeout=2)
                if len(self.worker_pids()) >= config.WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("gunicorn did not start: see " + str(self.workdir / "gunicorn.log"))

    def stop_gunicorn(self):
        self.gunicorn.send_signal(signal.SIGTERM)
        try:
            self.gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.gunicorn.kill()

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.gunicorn.pid}/task/{self.gunicorn.pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    @staticmethod
    def memory_kb(pid: int) -> dict[str, int]:
        fields = {}
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":")
                    fields[key] = int(value.split()[0])
        except OSError:
            pass
        return fields

    # --- Locust

    def locust(self, name: str, plan: dict, *, users: int | None = None) -> dict:
        plan = {"name": name, "headers": config.REQUEST_HEADERS, **plan}
        plan_file = self.workdir / f"{name}.plan.json"
        plan_file.write_text(json.dumps(plan))
        prefix = self.workdir / name
        users = users or config.USERS
        command = [
            sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
            "--headless", "-u", str(users), "-r", str(users), "-t", config.DURATION,
            "--host", f"http://127.0.0.1:{config.PORT_WEB}", "--csv", str(prefix),
            "--only-summary", "--loglevel", "ERROR", "--exit-code-on-error", "0",
        ]
        env = {**os.environ, "BENCH_PLAN": str(plan_file)}
        subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=open(self.workdir / f"{name}.locust.log", "w"), check=False)
        return self.read_stats(prefix)

    @staticmethod
    def read_stats(prefix: Path) -> dict:
        rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
        total = next(r for r in rows if r["Name"] == "Aggregated")

        def number(key):
            value = total.get(key, "")
            return float(value) if value not in ("", "N/A") else None

        return {
            "requests": int(total["Request Count"]),
            "errors": int(total["Failure Count"]),
            "rps": round(number("Requests/s") or 0, 1),
            "p50_ms": number("50%"),
            "p95_ms": number("95%"),
            "p99_ms": number("99%"),
            "avg_ms": round(number("Average Response Time") or 0, 1),
        }

    # --- scenarios

    def pages(self):
        for key in PAGES:
            if not config.wanted(key):
                continue
            path = self.url(key)
            if path is None:
                self.result["scenarios"][key] = {"status": "n/a", "why": f"no URL {config.ENDPOINTS[key]}"}
                log(f"  {key}: n/a")
                continue
            if key == "organize":
                path += config.ORGANIZE_QUERY
            members = [] if key == "floor" else (
                self.organizers if key == "organize" else self.participants
            )
            entry = {"path": path}
            if key != "floor":
                entry.update(self.count_queries(path, members[0]))
            else:
                entry.update(self.count_queries(path, None))
            entry.update(self.locust(key, {"kind": "page", "path": path, "members": members}))
            self.result["scenarios"][key] = entry
            log(f"  {key}: {entry}")

    def csv_export(self):
        path = self.url("participants_csv")
        if path is None:
            self.result["scenarios"]["participants_csv"] = {
                "status": "n/a", "why": f"no URL {config.ENDPOINTS['participants_csv']}"
            }
            log("  participants_csv: n/a")
            return
        member = self.organizers[0]
        entry = {"path": path, **self.count_queries(path, member)}
        pids = self.worker_pids()
        before = {pid: self.memory_kb(pid).get("VmRSS", 0) for pid in pids}
        peak = dict(before)
        done = threading.Event()

        def sample():
            while not done.is_set():
                for pid in pids:
                    peak[pid] = max(peak[pid], self.memory_kb(pid).get("VmRSS", 0))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timings, size, status = [], 0, None
        for _ in range(3):
            request = urllib.request.Request(
                f"http://127.0.0.1:{config.PORT_WEB}{path}",
                headers={**config.REQUEST_HEADERS, "Cookie": member["cookie"]},
            )
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    status, size, first = response.status, 0, None
                    while chunk := response.read(65536):
                        first = first or time.monotonic()
                        size += len(chunk)
            except urllib.error.HTTPError as error:
                status = error.code
            timings.append((time.monotonic() - started, (first or time.monotonic()) - started))
        done.set()
        sampler.join()
        grown = {pid: peak[pid] - before[pid] for pid in pids}
        worker = max(grown, key=grown.get)
        entry.update(
            http_status=status, bytes=size, errors=0 if status == 200 else 3,
            seconds=round(min(t for t, _ in timings), 3),
            first_byte_ms=round(1000 * min(f for _, f in timings), 1),
            rss_before_kb=before[worker], rss_peak_kb=peak[worker], rss_growth_kb=grown[worker],
            hwm_kb=self.memory_kb(worker).get("VmHWM"),
        )
        self.result["scenarios"]["participants_csv"] = entry
        log(f"  participants_csv: {entry}")

    def rush(self):
        from courses.models import Week

        from cohorts.models import Cohort, Membership, WeekCompletion

        if self.url("tick", week_id=1) is None:
            self.result["scenarios"]["tick_rush"] = {"status": "n/a"}
            return
        cohort = Cohort.objects.get(slug=self.slug)
        weeks = list(Week.objects.of(cohort.specialization_id).order_by("course__number", "number"))
        pool = list(
            cohort.memberships.participants().active().filter(weeks_done__lt=len(weeks))
            .order_by("-weeks_done", "id")[: config.RUSH_PARTICIPANTS]
        )
        ids = [m.pk for m in pool]
        done: dict[int, set] = {}
        for membership_id, week_id in WeekCompletion.objects.filter(
            membership_id__in=ids
        ).values_list("membership_id", "week_id"):
            done.setdefault(membership_id, set()).add(week_id)
        counters = ["weeks_done", "weeks_done_at", "last_activity_at", "theory_completed_at",
                    "finish_seq"]
        snapshot = {m.pk: {f: getattr(m, f) for f in counters} for m in pool}
        finish_counter = cohort.finish_counter
        members = self.members(Membership.objects.filter(id__in=ids).order_by("-weeks_done", "id"))
        by_user = {m.user_id: m for m in pool}
        queue = []
        for member in members:
            membership = by_user[member["user"]]
            member["ticks"] = [
                self.url("tick", week_id=w.pk) for w in weeks if w.pk not in done.get(membership.pk, set())
            ]
            queue.append(member)
        entry = {"participants": len(queue), "ticks_available": sum(len(m["ticks"]) for m in queue)}
        entry.update(self.count_queries(queue[-1]["ticks"][0], queue[-1], post=True))
        started = datetime.now(dt_timezone.utc)
        entry.update(self.locust("tick_rush", {"kind": "rush", "rush": queue}))
        finished = Membership.objects.filter(id__in=ids, finish_seq__isnull=False).count() - sum(
            1 for s in snapshot.values() if s["finish_seq"] is not None
        )
        entry["finishes"] = finished
        self.result["scenarios"]["tick_rush"] = entry
        log(f"  tick_rush: {entry}")
        self.restore = lambda: self._restore(ids, snapshot, counters, cohort, finish_counter, started)

    def _restore(self, ids, snapshot, counters, cohort, finish_counter, started):
        """Put the cohort back as it was, so the database stays reusable.

        Runs after gunicorn has stopped: ticks still in flight when Locust stopped are committed.
        """
        from django.db import connection

        from cohorts.models import Cohort, Membership, WeekCompletion

        WeekCompletion.objects.filter(membership_id__in=ids, completed_at__gte=started).delete()
        restored = []
        for membership in Membership.objects.filter(id__in=ids):
            for field, value in snapshot[membership.pk].items():
                setattr(membership, field, value)
            restored.append(membership)
        with connection.cursor() as cursor:  # finish_seq is unique: clear before restoring
            cursor.execute(
                "UPDATE cohorts_membership SET finish_seq = NULL WHERE id = ANY(%s)", [ids]
            )
        Membership.objects.bulk_update(restored, counters, batch_size=1000)
        Cohort.objects.filter(pk=cohort.pk).update(finish_counter=finish_counter)

    def fanout(self):
        try:
            module = import_module(config.REMINDERS_MODULE)
        except ImportError:
            module = None
        name = next((n for n in config.REMINDER_DISPATCHERS if hasattr(module, n)), None)
        if name is None:
            self.result["scenarios"]["fanout"] = {
                "status": "n/a", "why": f"no dispatcher in {config.REMINDERS_MODULE}"
            }
            log("  fanout: n/a")
            return
        self.result["scenarios"]["fanout"] = run_fanout(self, getattr(module, name), name)
        log(f"  fanout: {self.result['scenarios']['fanout']}")

    def run(self) -> dict:
        self.setup()
        self.prepare_members()
        self.start_gunicorn()
        self.result["workers"] = config.WORKERS
        try:
            self.pages()
            if config.wanted("participants_csv"):
                self.csv_export()
            if config.wanted("tick_rush"):
                self.rush()
        finally:
            self.stop_gunicorn()
            if self.restore:
                self.restore()
            self.drop_sessions()
        if config.wanted("fanout"):
            self.fanout()
        self._flush_redis()
        return self.result


def run_fanout(run: SizeRun, dispatcher, name: str) -> dict:
    """Dispatcher in-process, a Celery worker, and an SMTP sink counting what arrives."""
    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from cohorts.models import Cohort, Notification

    arrivals: list[float] = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            arrivals.append(time.monotonic())
            return "250 OK"

    sink = Controller(Sink(), hostname="127.0.0.1", port=config.PORT_SMTP)
    sink.start()
    env = {**os.environ, **config.server_env(run.n), "DJANGO_DB_POOL": "0",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(config.PORT_SMTP)}
    worker_log = open(run.workdir / "celery.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bootcamp", "worker", "-l", "WARNING",
         "-c", str(config.CELERY_CONCURRENCY), "-n", f"bench{run.n}@%h", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
    )
    cohort = Cohort.objects.get(slug=run.slug)
    since = timezone.now()
    try:
        from bootcamp.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1) and time.monotonic() < deadline:
            pass
        parameters = inspect.signature(dispatcher).parameters
        kwargs = {}
        if "now" in parameters:
            kwargs["now"] = timezone.now()
        if "cohort" in parameters:
            kwargs["cohort"] = cohort
        if "cohort_id" in parameters:
            kwargs["cohort_id"] = cohort.pk
        started = time.monotonic()
        dispatcher(**kwargs)
        dispatched = time.monotonic() - started
        idle_since = time.monotonic()
        seen = 0
        queued = Notification.objects.filter(cohort=cohort, created_at__gte=since).count()
        # Until everything arrived, nothing arrives for 5 s, or the time is up.
        while time.monotonic() - idle_since < 5 and len(arrivals) < queued:
            if time.monotonic() - started > config.FANOUT_SECONDS:
                break
            time.sleep(0.2)
            if len(arrivals) != seen:
                seen, idle_since = len(arrivals), time.monotonic()
        capped = len(arrivals) < queued and time.monotonic() - started > config.FANOUT_SECONDS
        emails = len(arrivals)
        elapsed = (arrivals[-1] - started) if arrivals else None
        failed = Notification.objects.filter(
            cohort=cohort, created_at__gte=since, status=Notification.Status.FAILED
        ).count()
        return {
            "dispatcher": name, "queued": queued, "emails": emails,
            "dispatch_seconds": round(dispatched, 2),
            "seconds": round(elapsed, 2) if elapsed else None,
            "emails_per_s": round(emails / elapsed, 1) if elapsed else 0,
            # Still queued when the time was up is not an error; failed or lost is.
            "capped_at_seconds": config.FANOUT_SECONDS if capped else None,
            "errors": failed + (0 if capped else max(queued - emails, 0)),
            "celery_concurrency": config.CELERY_CONCURRENCY,
        }
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        sink.stop()
        Notification.objects.filter(cohort=cohort, created_at__gte=since).delete()


def run_size(n: int, out: Path) -> None:
    os.environ.update(config.server_env(n), DJANGO_DB_POOL="0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    workdir = RESULTS / "work" / str(n)  # Locust CSVs, gunicorn and worker logs of the last run
    workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    result = SizeRun(n, workdir).run()
    result["load_average"] = {"start": round(load, 2), "end": round(os.getloadavg()[0], 2)}
    out.write_text(json.dumps(result, indent=2, default=str))


# ---------------------------------------------------------------- the report


def _fmt(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _queries(s: dict) -> str:
    warm, cold = s.get("queries", "n/a"), s.get("queries_cold")
    return f"{cold} → {warm}" if cold is not None and cold != warm else str(warm)


def table(results: list[dict]) -> str:
    lines = [
        "| N | scenario | req/s | p50 ms | p95 ms | p99 ms | errors | queries/req | vs floor |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        scenarios = result["scenarios"]
        floor = scenarios.get("floor", {}).get("rps")
        for key in [*PAGES, "tick_rush"]:
            s = scenarios.get(key, {})
            if s.get("status") == "n/a" or not s:
                lines.append(f"| {result['n']:,} | {key} | n/a | | | | | | |")
                continue
            ratio = f"{s['rps'] / floor:.0%}" if floor and key != "floor" else ""
            lines.append(
                f"| {result['n']:,} | {key} | {_fmt(s['rps'], 1)} | {_fmt(s['p50_ms'])} | "
                f"{_fmt(s['p95_ms'])} | {_fmt(s['p99_ms'])} | {s['errors']} | "
                f"{_queries(s)} | {ratio} |"
            )
    lines += ["", "| N | CSV export | fan-out | build |", "|---:|---|---|---|"]
    for result in results:
        s = result["scenarios"]
        c, f, b = s.get("participants_csv", {}), s.get("fanout", {}), result.get("build", {})
        csv_cell = "n/a" if c.get("status") == "n/a" or not c else (
            f"{c['bytes']:,} B in {c['seconds']} s, {_queries(c)} queries, worker RSS "
            f"{c['rss_before_kb'] // 1024} -> {c['rss_peak_kb'] // 1024} MiB"
            + (f" (high-water mark {c['hwm_kb'] // 1024} MiB)" if c.get("hwm_kb") else "")
        )
        fan_cell = "n/a" if f.get("status") == "n/a" or not f else (
            f"{f['emails']:,} of {f['queued']:,} emails, {f['emails_per_s']}/s"
            + (f" over the first {f['seconds']:.0f} s (time was up)"
               if f.get("capped_at_seconds") else "")
            + f", {f['errors']} errors, {f['celery_concurrency']} worker processes"
        )
        build_cell = "reused" if b.get("reused") else f"built in {b.get('seconds')} s " \
            f"({b.get('completions', 0):,} completions)"
        lines.append(f"| {result['n']:,} | {csv_cell} | {fan_cell} | {build_cell} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks at cohort scale")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000,10000"))
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--markdown", action="store_true", help="rewrite latest.md from latest.json"
    )
    args = parser.parse_args()
    if args.markdown:
        write_markdown(json.loads((RESULTS / "latest.json").read_text()))
        return
    if args.size:
        run_size(args.size, args.out)
        return
    sizes = [int(s) for s in args.sizes.replace(" ", "").split(",") if s]
    RESULTS.mkdir(exist_ok=True)
    results = []
    for n in sizes:
        log(f"N = {n:,}")
        started = time.monotonic()
        out = RESULTS / f"size-{n}.json.tmp"
        subprocess.run(
            [sys.executable, "-m", "bench.run", "--size", str(n), "--out", str(out)],
            cwd=ROOT, check=True,
        )
        result = json.loads(out.read_text())
        out.unlink()
        result["seconds"] = round(time.monotonic() - started, 1)
        results.append(result)
    report = {
        "generated_at": datetime.now(dt_timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "users": config.USERS, "duration": config.DURATION,
                    "gunicorn_workers": config.WORKERS},
        "results": results,
    }
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    write_markdown(report)


def write_markdown(report: dict) -> None:
    """bench/results/latest.md from a report (`python -m bench.run --markdown` redoes it)."""
    machine = report["machine"]
    loads = [
        f"{r['n']:,}: {r['load_average']['start']:.1f}-{r['load_average']['end']:.1f}"
        for r in report["results"] if r.get("load_average")
    ]
    markdown = (
        f"Measured {report['generated_at']} on {machine['cpus']} cores: gunicorn "
        f"{machine['gunicorn_workers']} sync workers, Locust {machine['users']} users for "
        f"{machine['duration']} per scenario"
        + (f"; load average from start to end of each size ({', '.join(loads)}): other work "
           f"on the machine shares its cores" if loads else "")
        + ". Queries per request: the first request (cold caches) → later ones.\n\n"
        + table(report["results"]) + "\n"
    )
    (RESULTS / "latest.md").write_text(markdown)
    log("\n" + markdown)


if __name__ == "__main__":
    main()
