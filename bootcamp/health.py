"""/healthz: whether the database and Redis answer, and how long ago beat last ran.

The database or Redis down means 503 (take this web process out of rotation); a silent beat
is reported but does not fail the check, since restarting web would not revive it.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from redis import Redis
from redis.exceptions import RedisError

from .tasks import HEARTBEAT_KEY

# Beat is "stale" after missing this many heartbeats in a row.
STALE_AFTER_BEATS = 3


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # any driver error means "down"; the message says which
        return f"error: {error.__class__.__name__}"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except RedisError as error:
        return f"error: {error.__class__.__name__}"


def beat_status() -> dict:
    """Seconds since beat's last heartbeat, and whether that is recent enough."""
    try:
        last = cache.get(HEARTBEAT_KEY)
    except Exception as error:  # the cache is Redis: already reported as down above
        return {"status": f"error: {error.__class__.__name__}", "last_run_seconds_ago": None}
    if last is None:
        return {"status": "never ran", "last_run_seconds_ago": None}
    age = max(timezone.now().timestamp() - float(last), 0.0)
    stale = age > STALE_AFTER_BEATS * settings.BEAT_HEARTBEAT_SECONDS
    return {"status": "stale" if stale else "ok", "last_run_seconds_ago": round(age, 1)}


@never_cache
def healthz(request):
    checks = {"database": _database(), "redis": _redis()}
    healthy = all(value in {"ok", "not configured"} for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks, "beat": beat_status()},
        status=200 if healthy else 503,
    )
