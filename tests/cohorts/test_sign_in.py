import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

GOOGLE = {"google": {"APP": {"client_id": "test-client-id", "secret": "s", "key": ""}, "SCOPE": ["email"]}}


def test_without_google_credentials_the_login_page_offers_email_only(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    body = client.get(reverse("account_login")).content.decode()
    assert "Google" not in body


def test_with_google_credentials_sign_in_goes_to_google_with_our_client_id(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = GOOGLE
    assert "Google" in client.get(reverse("account_login")).content.decode()
    response = client.post(reverse("google_login"))
    assert response.status_code == 302
    assert response.url.startswith("https://accounts.google.com/o/oauth2/")
    assert "client_id=test-client-id" in response.url


def test_email_is_the_identifier_and_must_be_verified_before_login(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {"email": "New.Person@Example.com", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 302 and response.url == reverse("account_email_verification_sent")
    from cohorts.models import User

    assert User.objects.get().email == "new.person@example.com"
    assert "/accounts/confirm-email/" in mailoutbox[0].body
    login = client.post(reverse("account_login"), {"login": "new.person@example.com", "password": "a-long-pass-phrase"})
    assert login.url == reverse("account_email_verification_sent")
