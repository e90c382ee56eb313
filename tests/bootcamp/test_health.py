import pytest
import time_machine
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from bootcamp import health
from bootcamp.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_redis_and_beat(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/5"
    heartbeat.delay()
    response = client.get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["redis"] == "ok"
    assert body["beat"]["status"] == "ok"
    assert 0 <= body["beat"]["last_run_seconds_ago"] < 5


def test_redis_down_means_503(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


def test_database_down_means_503(client, monkeypatch):
    class DeadConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", DeadConnection())
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


def test_a_silent_beat_is_reported_but_does_not_fail_the_check(client, settings):
    assert client.get(reverse("healthz")).json()["beat"] == {
        "status": "never ran",
        "last_run_seconds_ago": None,
    }
    heartbeat.delay()
    later = timezone.now() + timezone.timedelta(seconds=4 * settings.BEAT_HEARTBEAT_SECONDS)
    with time_machine.travel(later):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["beat"]["status"] == "stale"
    assert response.json()["beat"]["last_run_seconds_ago"] >= 4 * settings.BEAT_HEARTBEAT_SECONDS


def test_beat_runs_the_heartbeat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["beat-heartbeat"]
    assert entry["task"] == heartbeat.name == "bootcamp.tasks.heartbeat"
    assert entry["schedule"] == settings.BEAT_HEARTBEAT_SECONDS


@pytest.mark.django_db(transaction=True)
def test_the_container_health_checks_pass_only_when_healthy(live_server, monkeypatch, settings):
    from bootcamp import healthcheck

    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "localhost")
    monkeypatch.setenv("GUNICORN_BIND", f"0.0.0.0:{live_server.url.rsplit(':', 1)[1]}")
    assert healthcheck.web() == 0
    assert healthcheck.beat() == 1  # beat never ran
    heartbeat.delay()
    assert healthcheck.beat() == 0
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert healthcheck.web() == 1
