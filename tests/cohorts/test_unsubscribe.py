import pytest
from django.urls import reverse

from cohorts.models import User
from cohorts.tokens import Topic, make_unsubscribe_token

pytestmark = pytest.mark.django_db


def url(token: str) -> str:
    return reverse("cohorts:unsubscribe", args=[token])


def test_the_link_shows_a_confirmation_without_login_and_changes_nothing(client, participant):
    token = make_unsubscribe_token(user_id=participant.user.pk, topic=Topic.REMINDERS)
    response = client.get(url(token))
    assert response.status_code == 200
    assert participant.user.email in response.content.decode()
    assert User.objects.get(pk=participant.user.pk).email_reminders


def test_one_click_post_unsubscribes_without_login_or_csrf(participant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    token = make_unsubscribe_token(user_id=participant.user.pk, topic=Topic.REMINDERS)
    response = client.post(url(token), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    user = User.objects.get(pk=participant.user.pk)
    assert not user.email_reminders and user.email_digest
    assert client.post(url(token)).status_code == 200  # a second click is harmless


def test_the_digest_link_turns_off_only_the_digest(client, organizer):
    token = make_unsubscribe_token(user_id=organizer.user.pk, topic=Topic.DIGEST)
    client.post(url(token))
    user = User.objects.get(pk=organizer.user.pk)
    assert not user.email_digest and user.email_reminders


@pytest.mark.parametrize("tamper", ["signature", "user", "salt"])
def test_a_forged_token_is_rejected_and_changes_nothing(client, participant, organizer, tamper):
    from django.core import signing

    token = make_unsubscribe_token(user_id=participant.user.pk, topic=Topic.REMINDERS)
    if tamper == "signature":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif tamper == "user":
        # Someone else's id with the original signature.
        other = make_unsubscribe_token(user_id=organizer.user.pk, topic=Topic.REMINDERS)
        token = other.split(":")[0] + ":" + token.split(":", 1)[1]
    else:
        token = signing.dumps({"u": participant.user.pk, "t": "email_reminders"}, salt="other")
    for method in (client.get, client.post):
        response = method(url(token))
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert User.objects.get(pk=participant.user.pk).email_reminders
    assert User.objects.get(pk=organizer.user.pk).email_reminders


def test_preferences_page_saves_the_email_settings(participant_client, participant):
    page = reverse("cohorts:preferences")
    assert participant_client.get(page).status_code == 200
    response = participant_client.post(page, {"email_digest": "on", "language": "ko"})
    assert response.status_code == 302
    user = User.objects.get(pk=participant.user.pk)
    assert not user.email_reminders and user.email_digest and user.language == "ko"


def test_preferences_need_a_login(client):
    response = client.get(reverse("cohorts:preferences"))
    assert response.status_code == 302 and reverse("account_login") in response.url
