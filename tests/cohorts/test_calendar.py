from datetime import UTC, datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from cohorts.models import DeadlineExtension, Membership
from tests.factories import DeadlineFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def feed(client, membership, token=None):
    url = reverse("cohorts:calendar", args=[membership.cohort.slug])
    return client.get(url, {"token": token if token is not None else membership.calendar_token})


def events(response) -> dict[str, datetime]:
    calendar = Calendar.from_ical(response.content)
    return {str(e["summary"]): e.decoded("dtstart") for e in calendar.walk("VEVENT")}


def test_the_feed_lists_deadlines_with_the_participants_extension(client, participant):
    cohort = participant.cohort
    first = DeadlineFactory(cohort=cohort, title="Mission 1", due_at=datetime(2025, 3, 20, 15, tzinfo=UTC))
    DeadlineFactory(cohort=cohort, title="Mission 2", due_at=datetime(2025, 4, 20, 15, tzinfo=UTC))
    extended_to = datetime(2025, 3, 27, 15, tzinfo=UTC)
    DeadlineExtension.objects.create(membership=participant, deadline=first, due_at=extended_to, reason="x")

    response = feed(client, participant)  # no login: the token is the credential
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert events(response) == {
        "Mission 1": extended_to, "Mission 2": datetime(2025, 4, 20, 15, tzinfo=UTC),
    }
    other = MembershipFactory(cohort=cohort)
    assert events(feed(client, other))["Mission 1"] == datetime(2025, 3, 20, 15, tzinfo=UTC)


def test_a_wrong_or_missing_token_is_404(client, participant):
    assert feed(client, participant, token="nope").status_code == 404
    assert feed(client, participant, token="").status_code == 404
    stranger = MembershipFactory()  # a real token, but for another cohort
    url = reverse("cohorts:calendar", args=[participant.cohort.slug])
    assert client.get(url, {"token": stranger.calendar_token}).status_code == 404


def test_the_participant_sees_the_address_and_can_revoke_it(participant_client, participant):
    page = reverse("cohorts:calendar-page", args=[participant.cohort.slug])
    old = participant.calendar_token
    assert old in participant_client.get(page).content.decode()
    assert participant_client.post(page).status_code == 302
    new = Membership.objects.get(pk=participant.pk).calendar_token
    assert new != old
    assert feed(participant_client, participant, token=old).status_code == 404
    assert feed(participant_client, participant, token=new).status_code == 200
    assert new in participant_client.get(page).content.decode()
