"""docker-compose.yml runs what `make prod-smoke` runs (bootcamp/processes.py), and is complete."""

import importlib.util

import pytest
import yaml
from django.conf import settings

from bootcamp.processes import COMMANDS, ENVIRONMENT

ROOT = settings.BASE_DIR


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


@pytest.fixture(scope="module")
def smoke():
    spec = importlib.util.spec_from_file_location("prod_smoke", ROOT / "scripts" / "prod_smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compose_runs_the_commands_prod_smoke_runs(compose, smoke):
    app_services = {name for name, service in compose.items() if "build" in service}
    assert app_services == set(COMMANDS) == {"migrate", *smoke.SERVICES}
    assert smoke.COMMANDS is COMMANDS and smoke.ENVIRONMENT is ENVIRONMENT
    for name, command in COMMANDS.items():
        assert compose[name]["command"] == command, name
        environment = compose[name].get("environment", {})
        assert ENVIRONMENT[name].items() <= environment.items(), name


def test_the_web_process_keeps_its_pool_and_the_others_do_not(compose):
    assert "DJANGO_DB_POOL" not in compose["web"]["environment"]
    for name in ("migrate", "worker", "beat"):
        assert compose[name]["environment"]["DJANGO_DB_POOL"] == "0"


def test_migrations_run_once_before_the_app_starts(compose):
    assert compose["migrate"]["restart"] == "no"
    assert compose["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = compose[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy"


def test_every_long_running_service_has_a_health_check(compose):
    for name in ("web", "worker", "beat", "db", "redis"):
        assert compose[name]["healthcheck"]["test"], name


def test_databases_keep_their_data_and_stay_on_localhost(compose):
    assert compose["db"]["image"] == "postgres:16" and compose["redis"]["image"] == "redis:7"
    assert compose["db"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert compose["redis"]["volumes"] == ["redisdata:/data"]
    for name in ("db", "redis", "web"):
        assert all(port.startswith("127.0.0.1:") for port in compose[name]["ports"]), name


def test_the_image_runs_as_a_user_with_static_files_collected_at_build():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile
    assert "\nUSER bootcamp\n" in dockerfile and "collectstatic --noinput" in dockerfile
    assert "gettext" in dockerfile


def test_the_example_env_file_names_what_production_needs():
    example = (ROOT / ".env.example").read_text()
    for name in (
        "DJANGO_DEBUG=0",
        "DJANGO_SECRET_KEY=",
        "DJANGO_ALLOWED_HOSTS=",
        "DJANGO_CSRF_TRUSTED_ORIGINS=",
        "DATABASE_URL=",
        "REDIS_URL=",
        "EMAIL_HOST=",
        "SENTRY_DSN=",
    ):
        assert f"\n{name}" in example, name
