"""The language a signed-in person reads: the one stored on their account (their emails use it too)."""

from django.conf import settings
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
