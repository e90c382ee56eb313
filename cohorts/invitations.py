"""Invitations and join codes: the two ways into a cohort.

An invited person joins when they sign in (or sign up and confirm) with the invited
address: the account adapter calls `accept_invitations` on every login.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Cohort, Invitation, Membership, Notification, User
from .notifications import render_email


def _display_name(user: User, invitation: Invitation | None = None) -> str:
    if invitation and (invitation.display_name or invitation.name):
        return (invitation.display_name or invitation.name)[:80]
    return (user.name or user.email.split("@")[0])[:80]


def deliver_invitation(*, invitation_id: int) -> bool:
    """Send one invitation email if it has not been sent; True if this call sent it."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("cohort")
            .filter(pk=invitation_id, sent_at__isnull=True, accepted_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        existing = User.objects.filter(email__iexact=invitation.email).first()
        # The invitee may have no account yet: an unsaved user carries address and language.
        recipient = User(
            email=invitation.email,
            language=existing.language if existing else settings.LANGUAGE_CODE,
        )
        notice = Notification(
            key=f"invitation:{invitation.pk}",
            kind=Notification.Kind.INVITATION,
            user=recipient,
            cohort=invitation.cohort,
            context={
                "name": invitation.name,
                "email": invitation.email,
                "role": invitation.get_role_display(),
                "token": invitation.token,
            },
        )
        render_email(notice).send()
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return True


def _join(*, user: User, cohort: Cohort, role: str, display_name: str) -> Membership:
    membership, _created = Membership.objects.get_or_create(
        cohort=cohort, user=user, defaults={"role": role, "display_name": display_name}
    )
    return membership


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    """Join the invited cohort; the invitation must be for one of the user's verified addresses."""
    invitation = Invitation.objects.select_for_update().select_related("cohort").get(
        pk=invitation.pk
    )
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists()
    if not verified:
        raise ValidationError(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership = _join(
        user=user, cohort=invitation.cohort, role=invitation.role,
        display_name=_display_name(user, invitation),
    )
    if invitation.accepted_at is None:
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    if not user.name and invitation.name:
        user.name = invitation.name
        user.save(update_fields=["name"])
    return membership


def accept_invitations(*, user: User) -> list[Membership]:
    """Every open invitation to one of the user's verified addresses (two queries if none)."""
    emails = list(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    if not emails:
        return []
    open_invitations = Invitation.objects.filter(accepted_at__isnull=True).filter(
        email__in=[e.lower() for e in emails]
    )
    return [accept_invitation(invitation=i, user=user) for i in open_invitations]


@transaction.atomic
def join_with_code(*, user: User, code: str) -> Membership:
    """Join a cohort as a participant with its join code; joining twice changes nothing."""
    code = (code or "").strip()
    cohort = Cohort.objects.filter(join_code__iexact=code).first() if code else None
    if cohort is None:
        raise ValidationError(_("No cohort has this join code."))
    existing = Membership.objects.filter(cohort=cohort, user=user).first()
    if existing:
        return existing
    if timezone.localdate(timezone=cohort.tz) > cohort.ends_on:
        raise ValidationError(_("This cohort has ended."))
    return _join(
        user=user, cohort=cohort, role=Membership.Role.PARTICIPANT,
        display_name=_display_name(user),
    )
