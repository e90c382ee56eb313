"""What a participant chooses to show other members."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Membership


@transaction.atomic
def set_leaderboard_anonymity(*, membership: Membership, anonymous: bool) -> Membership:
    """Appear on the leaderboard (and its JSON) as "Anonymous participant", or by display name."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_participant:
        raise ValidationError(_("Only participants appear on the leaderboard."))
    if membership.anonymous != anonymous:
        membership.anonymous = anonymous
        membership.save(update_fields=["anonymous"])
    return membership
