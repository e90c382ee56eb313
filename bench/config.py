"""Everything the benchmark may need to adjust after a merge, in one place."""

import os
import secrets

# URL names (and the reminder dispatcher) the harness looks for. A name that does not
# reverse, or a dispatcher that does not import, is reported as "n/a" instead of failing.
ENDPOINTS = {
    "dashboard": "cohorts:dashboard",
    "leaderboard": "cohorts:leaderboard",
    "leaderboard_json": "cohorts:leaderboard-json",
    "organize": "cohorts:organize",
    "participants_csv": "cohorts:organize-csv",
    "tick": "cohorts:tick",
}
ORGANIZE_QUERY = "?page=2"
REMINDERS_MODULE = "cohorts.reminders"
# Tried in order; the first attribute of REMINDERS_MODULE that exists is the dispatcher.
REMINDER_DISPATCHERS = [
    "dispatch_reminders",
    "dispatch_due_reminders",
    "send_due_reminders",
    "queue_due_reminders",
    "queue_reminders",
    "dispatch",
]

# Resources this harness may use on a shared machine (nothing else is touched).
PG_URL = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
PORT_WEB = int(os.environ.get("BENCH_PORT", "18100"))
PORT_SMTP = PORT_WEB + 25

USERS = int(os.environ.get("BENCH_USERS", "16"))
DURATION = os.environ.get("BENCH_DURATION", "20s")
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
# Delivering mail waits on the database and the SMTP server more than it computes: two
# worker processes per core (measured: 2 -> 4 processes doubled the rate on 2 cores).
CELERY_CONCURRENCY = int(
    os.environ.get("BENCH_CELERY_CONCURRENCY", str(2 * (os.cpu_count() or 1)))
)
RUSH_PARTICIPANTS = int(os.environ.get("BENCH_RUSH_PARTICIPANTS", "4000"))
# The fan-out is measured until every email arrived or this many seconds passed (at 100k the
# dispatcher queues tens of thousands): the rate is what arrived over the time it took.
FANOUT_SECONDS = float(os.environ.get("BENCH_FANOUT_SECONDS", "60"))
# Run only some scenarios, e.g. BENCH_SCENARIOS=fanout,tick_rush (default: all).
SCENARIOS = [s for s in os.environ.get("BENCH_SCENARIOS", "").replace(" ", "").split(",") if s]


def wanted(scenario: str) -> bool:
    return not SCENARIOS or scenario in SCENARIOS


def database_url(n: int) -> str:
    return f"{PG_URL}/{database_name(n)}"


def database_name(n: int) -> str:
    return f"bench_{n // 1000}k" if n % 1000 == 0 else f"bench_{n}"


def slug(n: int) -> str:
    return f"bench-{n}"


def server_env(n: int) -> dict[str, str]:
    """Production-like settings for gunicorn, the in-process query counts and the worker.

    Plain HTTP on loopback stands in for TLS at a proxy: the SSL redirect is switched off here
    and every request says X-Forwarded-Proto: https (see REQUEST_HEADERS), which covers both
    ways production settings may treat it. This is the only place that knows.
    """
    return {
        "DJANGO_SETTINGS_MODULE": "bootcamp.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or _secret_key(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{PORT_WEB},http://127.0.0.1:{PORT_WEB}",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_ROOT_URLCONF": "bench.urls",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url(n),
        "REDIS_URL": REDIS_URL,
        "SITE_URL": f"http://127.0.0.1:{PORT_WEB}",
        "SENTRY_DSN": "",
    }


REQUEST_HEADERS = {
    "X-Forwarded-Proto": "https",
    "Referer": f"https://127.0.0.1:{PORT_WEB}/",
    "Origin": f"https://127.0.0.1:{PORT_WEB}",
}

_KEY: list[str] = []


def _secret_key() -> str:
    if not _KEY:
        _KEY.append(secrets.token_urlsafe(50))
    return _KEY[0]
