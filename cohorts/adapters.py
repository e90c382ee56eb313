from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.contrib import messages
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def _remember_language(user) -> None:
    language = (get_language() or "").split("-")[0]
    if language in {"en", "ko"}:
        user.language = language


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        """Whoever signs in with an invited (verified) address joins that cohort."""
        super().login(request, user)
        from .invitations import accept_invitations

        for membership in accept_invitations(user=user):
            messages.success(
                request,
                _("You joined %(cohort)s.") % {"cohort": membership.cohort.name},
            )

    def save_user(self, request, user, form, commit=True):
        """New accounts speak the language they signed up in; their emails follow it."""
        user = super().save_user(request, user, form, commit=False)
        _remember_language(user)
        if commit:
            user.save()
        return user


class ProviderNotConfigured(SocialApp.DoesNotExist, Http404):
    """A provider without credentials: its login URLs answer 404 rather than a server error."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ProviderNotConfigured from None

    def save_user(self, request, sociallogin, form=None):
        _remember_language(sociallogin.user)
        return super().save_user(request, sociallogin, form)
