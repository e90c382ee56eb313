"""DEBUG off, as in production: each check runs settings in a fresh interpreter."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7-Kq0vP3nT9wZr2LmB6yHc8JdE4uFa1sGi5oNt0pXlQzWk3Ve",
    "DJANGO_ALLOWED_HOSTS": "bootcamp.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://bootcamp.example.org",
    "SENTRY_DSN": "",
}


def run(code_or_args: list[str], **env) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_LOG_FORMAT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={**environment, **PRODUCTION, **env},
        timeout=120,
    )


def test_check_deploy_reports_nothing():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_needs_a_secret_key():
    result = run(["manage.py", "check"], DJANGO_SECRET_KEY="")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is required" in result.stderr


PROBE = """
import json, logging, django
django.setup()
from django.conf import settings
import sentry_sdk
logging.getLogger("bootcamp.probe").warning("hello %s", "world")
print(json.dumps({
    "storage": settings.STORAGES["staticfiles"]["BACKEND"],
    "proxy": settings.SECURE_PROXY_SSL_HEADER,
    "redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "sentry": sentry_sdk.get_client().is_active(),
}))
"""


def probe(**env) -> tuple[dict, list[str]]:
    result = run(["-c", PROBE], DJANGO_SETTINGS_MODULE="bootcamp.settings", **env)
    assert result.returncode == 0, result.stderr
    *logs, last = result.stdout.strip().splitlines()
    return json.loads(last), logs


def test_production_settings_come_from_the_environment():
    values, _ = probe(DJANGO_SECURE_HSTS_SECONDS="3600")
    assert values == {
        "storage": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "redirect": True,
        "hsts": 3600,
        "sentry": False,
    }


def test_logs_are_json_lines_on_stdout():
    _, logs = probe()
    record = json.loads(logs[-1])
    assert record["level"] == "WARNING" and record["logger"] == "bootcamp.probe"
    assert record["message"] == "hello world" and "time" in record


def test_sentry_starts_only_with_a_dsn():
    values, _ = probe(SENTRY_DSN="https://public@sentry.example.org/1")
    assert values["sentry"] is True


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("account_login"))
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_template_needs_inline_scripts_or_styles():
    """The policy allows neither; emails may, since no browser loads them under it."""
    offenders = []
    for template in (django_settings.BASE_DIR / "templates").rglob("*.html"):
        if "emails" in template.parts:
            continue
        text = template.read_text()
        for pattern in (r"<script(?![^>]*\ssrc=)[^>]*>", r"\sstyle=", r"<style", r"\son[a-z]+="):
            if re.search(pattern, text):
                offenders.append(f"{template.relative_to(django_settings.BASE_DIR)}: {pattern}")
    assert not offenders


COOKIE_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE",
]}))
"""


def _production_cookie_settings() -> dict:
    result = run(["-c", COOKIE_PROBE], DJANGO_SETTINGS_MODULE="bootcamp.settings")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_httponly_and_same_site():
    assert _production_cookie_settings() == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
    }


def test_with_production_cookie_settings_the_sign_in_sets_secure_cookies(client, settings):
    from allauth.account.models import EmailAddress

    from tests.factories import UserFactory

    user = UserFactory(email="cookie@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for name, value in _production_cookie_settings().items():
        setattr(settings, name, value)
    client.get(reverse("account_login"), secure=True)
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "secret-pass-123"}, secure=True,
    )
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert client.cookies[django_settings.CSRF_COOKIE_NAME]["secure"]
