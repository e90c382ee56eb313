"""Sign-in throttling on the real Redis cache, no account enumeration, secure cookies."""

import uuid

import pytest
import redis
from allauth.account import app_settings as allauth_settings
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import caches
from django.urls import reverse

from cohorts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's
# Its own Redis database, so the suite's cache (REDIS_URL) and other runs never see these keys.
THROTTLE_REDIS = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis_cache(settings):
    """The default cache on a real Redis, under a prefix of its own; its keys removed afterwards."""
    prefix = f"security-test-{uuid.uuid4().hex}"
    connection = redis.Redis.from_url(THROTTLE_REDIS, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is needed at {THROTTLE_REDIS} (make test starts with it reachable)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": THROTTLE_REDIS,
            "KEY_PREFIX": prefix,
        }
    }
    yield connection
    caches["default"].close()
    keys = list(connection.scan_iter(match=f"{prefix}:*"))
    if keys:
        connection.delete(*keys)
    assert not list(connection.scan_iter(match=f"{prefix}:*"))
    connection.close()


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_the_installation_throttles_on_redis_whenever_redis_is_configured():
    import bootcamp.settings as configured

    assert allauth_settings.RATE_LIMITS["login_failed"]  # not switched off
    if configured.REDIS_URL:
        assert configured.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_repeated_failed_logins_are_throttled_on_redis(world, client, redis_cache):
    email = world.mine.participant.user.email
    limit = int(allauth_settings.RATE_LIMITS["login_failed"].split(",")[1].split("/")[0])
    for _attempt in range(limit):
        response = _login(client, email, "wrong-password")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        assert "Too many failed login attempts" not in response.content.decode()
    # The right password now is refused as well: the account is throttled, not just the guess.
    response = _login(client, email, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    assert any(b"login_failed" in key for key in redis_cache.scan_iter(match="security-test-*"))
    # Another account from the same address is not locked by someone else's failures.
    response = _login(client, world.mine.organizer.user.email, PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_a_successful_login_does_not_count_against_the_limit(world, client, redis_cache):
    email = world.mine.participant.user.email
    for _attempt in range(10):
        client.logout()
        response = _login(client, email, PASSWORD)
        assert response.status_code == 302, "successful logins were throttled"


def test_prevent_enumeration_is_on():
    assert django_settings.ACCOUNT_PREVENT_ENUMERATION is True
    assert allauth_settings.PREVENT_ENUMERATION is True


def _signup(client, email):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": "a-Long-pass-9931", "password2": "a-Long-pass-9931"},
    )


def test_signup_with_a_taken_email_looks_like_a_new_signup(world, client):
    taken = _signup(client, world.mine.participant.user.email)
    fresh = _signup(client, "nobody-yet@example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    # The owner of the taken address hears about it by email; the page says nothing.
    assert User.objects.filter(email__iexact=world.mine.participant.user.email).count() == 1
    assert {m.to[0] for m in mail.outbox} == {world.mine.participant.user.email, "nobody-yet@example.com"}


def test_password_reset_answers_the_same_for_known_and_unknown_emails(world, client):
    known = client.post(reverse("account_reset_password"), {"email": world.mine.participant.user.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_a_failed_login_says_the_same_for_unknown_emails_and_wrong_passwords(world, client):
    wrong_password = _login(client, world.mine.participant.user.email, "wrong-password")
    unknown_email = _login(client, "nobody@example.com", "wrong-password")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert wrong_password.context["form"].errors == unknown_email.context["form"].errors

