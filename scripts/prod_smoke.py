"""`make prod-smoke`: the compose stack's processes, run natively with production settings.

Against the local PostgreSQL (its own database, created and dropped here) and Redis (one DB,
flushed before and after): collectstatic into a temporary directory, migrate, load the
curriculum and the demo, start gunicorn, a Celery worker and beat with the commands of
bootcamp/processes.py, then drive a short scenario over HTTP with a real session, as a
browser behind the TLS proxy would (X-Forwarded-Proto: https). Everything started here is
stopped and removed at the end, whatever happened; any failure exits non-zero.

    SMOKE_DATABASE_URL  server to create the database on (default postgres://postgres@127.0.0.1:5432)
    SMOKE_REDIS_URL     Redis database the smoke owns (default redis://127.0.0.1:6379/5)
"""

import http.client
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bootcamp.processes import COMMANDS, ENVIRONMENT  # noqa: E402

SERVER_URL = os.environ.get("SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "bootcamp_smoke"
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/5")
PORTS = range(18000, 18100)
SLUG = "ml-bootcamp-demo"
EMAIL, PASSWORD = "participant@example.com", "bootcamp-demo"
BIN = Path(sys.executable).parent
# The long-running compose services this script starts, after the one-shot "migrate".
SERVICES = ("web", "worker", "beat")


class SmokeFailure(Exception):
    pass


def check(condition, message: str):
    if not condition:
        raise SmokeFailure(message)


def step(message: str):
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def free_port(taken: set[int]) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise SmokeFailure("no free port in 18000-18099")


def executable(command: list[str]) -> list[str]:
    """The compose commands, resolved to this virtualenv's interpreter and scripts."""
    head = sys.executable if command[0] == "python" else str(BIN / command[0])
    return [head, *command[1:]]


class Response:
    def __init__(self, status: int, headers, text: str):
        self.status, self.headers, self.text = status, headers, text

    def json(self):
        return json.loads(self.text)


class Browser:
    """A cookie-keeping HTTP client that talks to gunicorn as the HTTPS proxy would."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, https=True) -> Response:
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "prod-smoke"}
        if https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body, headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Response(raw.status, raw.headers, text)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict) -> Response:
        return self.request(
            "POST", path, {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        )

    def follow(self, response: Response, limit: int = 5) -> Response:
        while 300 <= response.status < 400 and limit:
            location = urlsplit(response.headers["Location"])
            response = self.get(location.path + (f"?{location.query}" if location.query else ""))
            limit -= 1
        return response


class Stack:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="bootcamp-smoke-"))
        ports: set[int] = set()
        self.web_port, self.smtp_port = free_port(ports), free_port(ports)
        self.processes: dict[str, subprocess.Popen] = {}
        self.smtp = None
        self.mailbox: list = []
        self.env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_STATIC_ROOT": str(self.tmp / "static"),
            "DATABASE_URL": f"{SERVER_URL}/{DATABASE}",
            "REDIS_URL": REDIS_URL,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "SITE_URL": f"https://127.0.0.1:{self.web_port}",
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "WEB_CONCURRENCY": "2",
            "CELERY_WORKER_CONCURRENCY": "2",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.tmp / "celerybeat-schedule"),
            "BEAT_HEARTBEAT_SECONDS": "2",
            "SENTRY_DSN": "",
            "PYTHONUNBUFFERED": "1",
        }
        for name in (
            "CELERY_TASK_ALWAYS_EAGER",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_DB_POOL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        ):
            self.env.pop(name, None)

    # --- services this script owns -------------------------------------------------------
    def reset_services(self):
        import psycopg
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {DATABASE}")

    def drop_services(self):
        import psycopg
        import redis

        try:
            redis.Redis.from_url(REDIS_URL).flushdb()
        except redis.RedisError as error:
            print(f"cleanup: Redis: {error}", file=sys.stderr)
        try:
            with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        except psycopg.Error as error:
            print(f"cleanup: PostgreSQL: {error}", file=sys.stderr)

    def start_smtp_sink(self):
        from aiosmtpd.controller import Controller

        mailbox = self.mailbox

        class Sink:
            async def handle_DATA(self, server, session, envelope):
                mailbox.append(envelope)
                return "250 OK"

        self.smtp = Controller(Sink(), hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()

    # --- processes -----------------------------------------------------------------------
    def run(self, name: str, command: list[str], env: dict | None = None):
        self.finish(name, self.launch(name, command, env))

    def launch(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            executable(command),
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=(self.tmp / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )

    def finish(self, name: str, process: subprocess.Popen):
        returncode = process.wait(timeout=300)
        if returncode:
            log = (self.tmp / f"{name}.log").read_text()
            raise SmokeFailure(f"{name} exited {returncode}:\n{log[-3000:]}")
        step(f"{name}: done")

    def start(self, name: str):
        out = (self.tmp / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            executable(COMMANDS[name]),
            cwd=ROOT,
            env={**self.env, **ENVIRONMENT[name]},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def assert_running(self):
        for name, process in self.processes.items():
            check(process.poll() is None, f"{name} died (exit {process.returncode})")

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                print(f"cleanup: {name} ignored SIGTERM, killing it", file=sys.stderr)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.smtp:
            self.smtp.stop()

    def logs(self) -> str:
        return "\n".join(
            f"----- {log.name} (last lines)\n" + "\n".join(log.read_text().splitlines()[-25:])
            for log in sorted(self.tmp.glob("*.log"))
        )


def wait_for(description: str, probe, timeout: float, stack: Stack):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        stack.assert_running()
        try:
            last = probe()
            if last:
                return last
        except (OSError, http.client.HTTPException) as error:
            last = error
        time.sleep(0.3)
    raise SmokeFailure(f"timed out after {timeout:.0f}s waiting for {description} (last: {last!r})")


def django_in_process(stack: Stack):
    """Settings and URLs as the processes see them: which optional features this build has."""
    os.environ.update(stack.env, DJANGO_SETTINGS_MODULE="bootcamp.settings", DJANGO_DB_POOL="0")
    import django

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the SMTP sink's chatter


def leaderboard_path() -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("cohorts:leaderboard", kwargs={"slug": SLUG})
    except NoReverseMatch:
        return None


def reminder_dispatcher() -> str | None:
    """The beat entry that sends deadline reminders, once the reminders work is merged."""
    from django.conf import settings

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        task = entry["task"]
        if "remind" in task and "digest" not in task:
            return task
    return None


def scenario(stack: Stack):
    browser = Browser(stack.web_port)

    plain = browser.get("/accounts/login/", https=False)
    check(
        plain.status == 301 and plain.headers["Location"].startswith("https://"),
        f"plain HTTP is not redirected to HTTPS: {plain.status}",
    )

    page = browser.get("/accounts/login/")
    check(page.status == 200, f"login page: {page.status}")
    csp = page.headers.get("Content-Security-Policy", "")
    check("script-src 'self'" in csp and "unsafe-inline" not in csp, f"CSP header: {csp!r}")
    check("max-age=" in page.headers.get("Strict-Transport-Security", ""), "no HSTS header")
    check(page.headers.get("X-Content-Type-Options") == "nosniff", "no nosniff header")
    check("csrftoken" in browser.cookies, "no CSRF cookie on the login page")
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', page.text)
    check(stylesheet, "the stylesheet URL is not hashed (manifest storage off?)")
    asset = browser.get(stylesheet.group(1))
    check(
        asset.status == 200 and "immutable" in asset.headers.get("Cache-Control", ""),
        f"static asset: {asset.status} {asset.headers.get('Cache-Control')}",
    )
    step("login page: HTTPS redirect, CSP, HSTS, hashed static files served by whitenoise")

    signed_in = browser.post("/accounts/login/", {"login": EMAIL, "password": PASSWORD})
    check(signed_in.status == 302, f"sign-in did not redirect: {signed_in.status}")
    dashboard = browser.follow(signed_in)
    check(
        dashboard.status == 200 and "8 of 17 weeks" in dashboard.text,
        f"dashboard after sign-in: {dashboard.status}",
    )
    step(f"signed in as {EMAIL}: dashboard shows 8 of 17 weeks")

    tick = re.search(rf'action="(/c/{SLUG}/weeks/\d+/tick/)"', dashboard.text)
    check(tick, "no week to tick on the dashboard")
    ticked = browser.post(tick.group(1), {})
    check(ticked.status == 302, f"tick: {ticked.status}")
    dashboard = browser.follow(ticked)
    check("9 of 17 weeks" in dashboard.text, "the dashboard does not show the ticked week")
    step(f"ticked {tick.group(1)}: dashboard shows 9 of 17 weeks")

    path = leaderboard_path()
    if path:
        board = browser.get(path)
        check(board.status == 200, f"leaderboard: {board.status}")
        step(f"leaderboard {path}: 200")
    else:
        step("leaderboard: no such URL in this build, skipped")

    def beat_reported():
        health = browser.get("/healthz")
        body = health.json()
        return body if health.status == 200 and body["beat"]["status"] == "ok" else None

    health = wait_for("/healthz to report beat", beat_reported, 30, stack)
    check(health["database"] == "ok" and health["redis"] == "ok", f"healthz: {health}")
    step(f"/healthz: {health}")

    task = reminder_dispatcher()
    if task:
        from bootcamp.celery import app

        app.send_task(task)
        wait_for("a reminder at the SMTP sink", lambda: stack.mailbox, 60, stack)
        time.sleep(1)
        step(
            f"{task}: {len(stack.mailbox)} email(s) at the SMTP sink, "
            f"first to {stack.mailbox[0].rcpt_tos}"
        )
    else:
        step("reminders: no reminder task in CELERY_BEAT_SCHEDULE in this build, skipped")


def main() -> int:
    # A CI timeout or `kill` still tears everything down (the finally clause below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = Stack()
    try:
        step(
            f"web on 127.0.0.1:{stack.web_port}, SMTP sink on {stack.smtp_port}, "
            f"files in {stack.tmp}"
        )
        stack.reset_services()
        # Static files do not need the database: collect them meanwhile.
        collectstatic = stack.launch(
            "collectstatic", ["python", "manage.py", "collectstatic", "--noinput", "-v0"]
        )
        stack.run("migrate", COMMANDS["migrate"], ENVIRONMENT["migrate"])
        stack.run(
            "load_curriculum",
            [
                "python",
                "manage.py",
                "load_curriculum",
                "curricula/deep-learning-specialization.toml",
            ],
            {"DJANGO_DB_POOL": "0"},
        )
        stack.run(
            "seed_demo",
            ["python", "manage.py", "seed_demo", "--allow-production"],
            {"DJANGO_DB_POOL": "0"},
        )
        stack.finish("collectstatic", collectstatic)
        step("database created, migrated, curriculum and demo loaded; static files collected")
        stack.start_smtp_sink()
        for name in SERVICES:
            stack.start(name)
        browser = Browser(stack.web_port)
        wait_for("gunicorn", lambda: browser.get("/healthz").status == 200, 30, stack)
        step("gunicorn, worker and beat started")
        django_in_process(stack)
        scenario(stack)
        stack.assert_running()
    except Exception as error:
        if not isinstance(error, SmokeFailure):
            traceback.print_exc()
        print(f"\nprod-smoke FAILED: {error}\n\n{stack.logs()}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        stack.drop_services()
        for path in sorted(stack.tmp.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        stack.tmp.rmdir()
    step("prod-smoke passed; everything stopped and removed")
    return 0


STARTED = time.monotonic()

if __name__ == "__main__":
    sys.exit(main())
