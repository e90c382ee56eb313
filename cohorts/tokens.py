"""Signed tokens that act on a user's behalf without a login: one salt per purpose."""

from django.core import signing
from django.db.models import TextChoices
from django.urls import reverse
from django.conf import settings
from django.utils.translation import gettext_lazy as _

UNSUBSCRIBE_SALT = "cohorts.unsubscribe"


class Topic(TextChoices):
    """A list a user can leave with one click; each is a flag on User."""

    REMINDERS = "email_reminders", _("deadline reminders")
    DIGEST = "email_digest", _("the daily organizer digest")


def make_unsubscribe_token(*, user_id: int, topic: str) -> str:
    return signing.dumps({"u": user_id, "t": str(topic)}, salt=UNSUBSCRIBE_SALT, compress=False)


def read_unsubscribe_token(token: str) -> tuple[int, Topic]:
    """The user id and topic a token was made for; raises signing.BadSignature if forged."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    try:
        return int(data["u"]), Topic(data["t"])
    except (KeyError, TypeError, ValueError) as error:
        raise signing.BadSignature("Malformed unsubscribe token.") from error


def unsubscribe_url(*, user_id: int, topic: str) -> str:
    token = make_unsubscribe_token(user_id=user_id, topic=topic)
    return settings.SITE_URL + reverse("cohorts:unsubscribe", args=[token])
