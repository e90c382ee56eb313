"""PostgreSQL restarted under load: gunicorn, with its connection pool, serves again by itself.

A private PostgreSQL cluster (initdb, pg_ctl on a free port; the shared server is never
touched), migrated like a deploy, a private redis-server, and gunicorn with the production
command and settings (DEBUG off, a random secret key, the pool on). Client threads keep
requesting /healthz and a signed-in participant's dashboard while the cluster is restarted
with `pg_ctl restart -m fast`; gunicorn is not restarted.
"""

import glob
import http.client
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from bootcamp.processes import COMMANDS

from .conftest import VENV_BIN, children, free_port, stop_process, wait_for

pytestmark = pytest.mark.faults

CLIENTS = 4
SEED = """
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from cohorts.models import Cohort, Membership, User
from courses.models import Specialization
call_command("load_curriculum", "curricula/deep-learning-specialization.toml", verbosity=0)
user = User.objects.create_user(email="racer@example.com", password="not-used-here")
cohort = Cohort.objects.create(
    slug="pg-restart", name="PG restart", starts_on="2026-01-01", ends_on="2026-12-31",
    specialization=Specialization.objects.get(slug="deep-learning"),
)
Membership.objects.create(cohort=cohort, user=user, display_name="Racer")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print("SESSION", session.session_key)
"""


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    assert found[-1], f"the fault tests need PostgreSQL's {name} (Debian's postgresql package)"
    return found[-1]


class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory, run as the postgres user
    when the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="bootcamp-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def run(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *command], check=True, timeout=timeout, capture_output=True)

    def init(self) -> None:
        self.run(postgres_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8", "--locale", "C")

    def ctl(self, *args: str) -> None:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=40")
        self.run(postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                 "-t", "60", "-o", options, *args)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.ctl("stop", "-m", "immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def get(port: int, path: str, cookie: str = "") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        if cookie:
            headers["Cookie"] = cookie
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_gunicorn_serves_again_after_postgresql_restarts_under_load(private_redis, workdir):
    cluster = Cluster()
    gunicorn = None
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(settings.BASE_DIR),
        "DATABASE_URL": cluster.url("bootcamp"),
        "REDIS_URL": private_redis.url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
    }
    env.pop("DJANGO_DB_POOL", None)  # the web process keeps its pool (the default)
    try:
        cluster.init()
        cluster.ctl("start")
        cluster.run(postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(cluster.port),
                    "-U", "postgres", "bootcamp")
        manage = [str(VENV_BIN / "python"), "manage.py"]
        setup_env = {**env, "DJANGO_DB_POOL": "0"}
        subprocess.run([*manage, *COMMANDS["migrate"][2:], "-v0"], env=setup_env,
                       cwd=settings.BASE_DIR, check=True, timeout=300)
        seeded = subprocess.run([*manage, "shell", "-c", SEED], env=setup_env,
                                cwd=settings.BASE_DIR, check=True, timeout=120,
                                capture_output=True, text=True)
        session = seeded.stdout.split("SESSION ")[1].split()[0]
        cookie = f"sessionid={session}"

        with open(workdir / "gunicorn.log", "w") as log:
            gunicorn = subprocess.Popen(
                [str(VENV_BIN / COMMANDS["web"][0]), *COMMANDS["web"][1:]], env=env,
                cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def serving():
            try:
                return get(port, "/healthz") == 200
            except OSError:
                return False

        wait_for(serving, 60, "gunicorn to serve")
        assert get(port, "/c/pg-restart/", cookie) == 200
        workers = children(gunicorn.pid)

        results: list[tuple[float, str, int | str]] = []
        stop = threading.Event()

        def client(n: int):
            # A load balancer's health check, and a signed-in participant.
            path, session = ("/healthz", "") if n % 2 else ("/c/pg-restart/", cookie)
            while not stop.is_set():
                try:
                    outcome = get(port, path, session)
                except OSError as error:
                    outcome = type(error).__name__
                results.append((time.monotonic(), path, outcome))
                time.sleep(0.02)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            restart_began = time.monotonic()
            cluster.ctl("restart", "-m", "fast")
            restart_ended = time.monotonic()
            time.sleep(5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        after = time.monotonic()

        assert gunicorn.poll() is None, "gunicorn kept running"
        assert children(gunicorn.pid) == workers, "and its workers were not replaced"
        before = [r for r in results if r[0] < restart_began]
        during = [r for r in results if restart_began <= r[0] < restart_ended]
        settled = [r for r in results if r[0] >= restart_ended]
        failed = [r for r in results if r[2] != 200]
        failed_after = [r for r in settled if r[2] != 200]
        recovered = next((r[0] for r in settled if r[2] == 200), None)
        print(
            f"\nPostgreSQL restarted in {restart_ended - restart_began:.2f}s under {CLIENTS} "
            f"clients: {len(results)} requests, {len(failed)} failed "
            f"{sorted(str(r[2]) for r in failed)} "
            f"({len([r for r in during if r[2] != 200])} during the restart, "
            f"{len(failed_after)} after it: {sorted({str(r[2]) for r in failed_after})}); "
            f"first success {recovered - restart_ended if recovered else float('nan'):.2f}s after"
        )
        assert before and all(r[2] == 200 for r in before)
        # Served again without restarting gunicorn: the last seconds are all successes, on
        # both pages, and only the connections the pool held when PostgreSQL went away fail.
        tail = [r for r in settled if r[0] > after - 3]
        assert {r[1] for r in tail} == {"/healthz", "/c/pg-restart/"}
        assert all(r[2] == 200 for r in tail), tail
        assert len(failed_after) <= 2 * 8, "at most the pools' connections fail, once each"
        assert get(port, "/c/pg-restart/", cookie) == 200
    finally:
        stop_process(gunicorn)
        cluster.remove()
