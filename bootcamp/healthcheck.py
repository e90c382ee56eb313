"""Container health checks without curl: `python -m bootcamp.healthcheck web|beat`.

web: GET /healthz on this container, as the proxy would (a host from DJANGO_ALLOWED_HOSTS).
beat: the last heartbeat is recent (the same rule /healthz uses).
"""

import os
import sys
import urllib.error
import urllib.request


def web() -> int:
    host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
    host = host if host and host != "*" else "localhost"
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(error, file=sys.stderr)
        return 1


def beat() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bootcamp.settings")
    import django

    django.setup()
    from bootcamp.health import beat_status

    status = beat_status()
    print(status)
    return 0 if status["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit({"web": web, "beat": beat}[sys.argv[1]]())
