"""Request middleware of the shared kernel."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the cookie and the browser.

    LocaleMiddleware has already picked the cookie, then Accept-Language, then
    English; this only runs after authentication, so it can read the user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        preferred = getattr(user, "preferred_language", "") if user else ""
        if preferred in self.supported:
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
        return self.get_response(request)
