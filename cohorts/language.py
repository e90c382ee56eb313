"""The language a signed-in person reads: the one stored on their account (their emails use it too)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation


class UserLanguageMiddleware:
    """Signed-in users see their stored language; anonymous visitors keep the cookie or browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user.language
            if language in dict(settings.LANGUAGES) and language != request.LANGUAGE_CODE:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


# Connected when the middleware above is loaded, i.e. by every request handler.
@receiver(user_logged_in, dispatch_uid="adopt_language_chosen_before_sign_in")
def adopt_language_chosen_before_sign_in(sender, request, user, **kwargs):
    """Whoever switched language before signing in keeps it: the account now stores it.

    The rest of the sign-in request (allauth's "signed in" message) speaks the account's language.
    """
    if request is None:
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in dict(settings.LANGUAGES) and chosen != user.language:
        type(user).objects.filter(pk=user.pk).update(language=chosen)
        user.language = chosen
    if user.language in dict(settings.LANGUAGES):
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
