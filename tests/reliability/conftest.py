"""Real processes for the fault tests: a private redis-server, an SMTP sink, Celery workers.

Everything binds free ports and is torn down in a `finally`, whatever the test did to it.
"""

import email
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from bootcamp.celery import app as celery_app
from cohorts import notifications

VENV_BIN = Path(sys.executable).parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "faults: real processes (redis-server, Celery workers, PostgreSQL, SMTP) "
        "started, killed and restarted by the test; part of `make test`"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def workdir(request):
    """Logs and data of the processes a test starts; kept (and named) only if the test failed.

    Not pytest's tmp_path: another pytest run on the machine may prune those while we run.
    """
    path = Path(tempfile.mkdtemp(prefix="bootcamp-reliability-"))
    yield path
    if getattr(request.node, "failed_call", False):
        print(f"\nprocess logs kept in {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 60.0, what: str = "a condition", interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def stop_process(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 15) -> None:
    """Stop a process started with start_new_session=True, and everything it forked."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def children(pid: int) -> set[int]:
    """The processes `pid` forked (a gunicorn arbiter's workers, a Celery worker's pool)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def database_url_for_processes() -> str:
    """The database pytest-django created, for processes started by the test."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class RedisServer:
    """A redis-server of our own on a free port, without persistence: stopping it loses the
    queue, as a crash of an unpersisted Redis would."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "the fault tests need redis-server (Debian's redis-server package)"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_for(self.answers, 20, "redis-server to answer")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        wait_for(lambda: not self.answers(), 20, "redis-server to stop")


@pytest.fixture
def private_redis(workdir):
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        stop_process(server.process, signal.SIGKILL)


def use_broker(url: str) -> None:
    """Point the test process's Celery app (the producer) at `url`."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    if "amqp" in celery_app.__dict__:
        celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url
    celery_app.conf.broker_write_url = None
    celery_app.conf.broker_read_url = None


@pytest.fixture
def broker(private_redis, settings):
    """Tasks really go to the private Redis (not run in-process) for the test."""
    original = celery_app.conf.broker_url
    use_broker(private_redis.url)
    celery_app.conf.task_always_eager = False
    try:
        yield private_redis
    finally:
        use_broker(original)
        celery_app.conf.task_always_eager = True
        notifications._broker_down_until = 0.0


class Mailbox:
    """An SMTP sink keeping every message it accepted, in arrival order."""

    def __init__(self, delay: float = 0.0):
        self.messages: list[email.message.Message] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def recipients(self) -> list[str]:
        with self.lock:
            return [m["To"] for m in self.messages]


@pytest.fixture
def smtp_sink():
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


class Worker:
    """`celery -A <app> worker` as its own process group, on the test database."""

    def __init__(self, *, broker_url: str, smtp_port: int, log: Path, app: str = "bootcamp",
                 concurrency: int = 2, extra_env: dict | None = None):
        self.log = log
        self.command = [
            str(VENV_BIN / "celery"), "-A", app, "worker", "--loglevel", "INFO",
            "--pool", "prefork", "--concurrency", str(concurrency),
            "--hostname", f"reliability-{os.getpid()}-{smtp_port}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
        self.env = {
            **os.environ,
            "PYTHONPATH": str(settings.BASE_DIR),
            "DATABASE_URL": database_url_for_processes(),
            "DJANGO_DB_POOL": "0",
            "REDIS_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "DJANGO_LOG_FORMAT": "text",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with open(self.log, "a") as out:
            out.write(f"\n--- start {self.starts} ---\n")
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=settings.BASE_DIR, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        marker = f"--- start {self.starts} ---"
        wait_for(
            lambda: self._exited() or " ready." in self.log.read_text().split(marker)[-1],
            90, "the Celery worker to be ready",
        )
        assert self.process.poll() is None, "worker exited:\n" + self.tail()

    def _exited(self) -> bool:
        return self.process.poll() is not None

    def kill(self) -> None:
        """SIGKILL the whole worker: the main process and its pool children at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM, timeout=30)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:])
