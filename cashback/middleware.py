"""Request middleware of the shared kernel."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _


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


class StaffMfaRequiredMiddleware:
    """Staff reach admin only with two-factor authentication set up.

    Admin log-in itself goes through allauth (see urls.py), which asks for the
    TOTP code once an authenticator exists; this sends staff without one to set
    it up first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and request.path.startswith(ADMIN_PREFIX)
            and not user_has_totp(user)
        ):
            messages.warning(
                request,
                _("Set up two-factor authentication before using the administration."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.path}")
        return self.get_response(request)


ADMIN_PREFIX = "/admin/"


def user_has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).exists()


class SessionActivityMiddleware:
    """Keeps a signed-in session alive while it is used; it ends when idle.

    The session expires SESSION_COOKIE_AGE after its last save. Saving it on
    every request would cost a write per page; marking activity at most every
    few minutes keeps the idle timeout within that margin instead.
    """

    RENEW_AFTER_SECONDS = 300

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - request.session.get("last_activity", 0) > self.RENEW_AFTER_SECONDS:
                mark_session_activity(request)
        return self.get_response(request)


def mark_session_activity(request: HttpRequest, **kwargs) -> None:
    """Also connected to user_logged_in: a fresh log-in counts as activity."""
    if request is not None and hasattr(request, "session"):
        request.session["last_activity"] = int(time.time())


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is too large before reading any of it.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, and
    files above FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to disk; this stops a
    huge upload at the door. Admin (staff with MFA) may send larger files: the
    agreement ledger is uploaded there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        limit = (
            settings.ADMIN_MAX_REQUEST_BYTES
            if request.path.startswith(self.admin_prefix)
            else settings.MAX_REQUEST_BYTES
        )
        if length > limit:
            return HttpResponse(
                _("The request is too large (at most %(size)s MB).")
                % {"size": limit // (1024 * 1024)},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
