"""Request middleware of the shared kernel."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .security import (
    enrolment_allowed,
    requires_second_factor,
    session_has_second_factor,
    user_has_totp,
)


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
    """Every request of a staff user needs a second factor used in this session.

    Whatever the path (admin, an invoice download, a page yet to be written),
    allauth's record of how this session authenticated must hold a TOTP (see
    cashback.security). Staff with an authenticator are asked for a code;
    staff without one can only enrol through the one-time link an
    administrator sends them, so a leaked password alone never enrols an
    attacker's authenticator. Runs as process_view, where the URL name is
    known; a path that matches no view gets its 404 and nothing else.
    """

    # Reachable without the second factor: leaving, proving it, enrolling
    # through the link, and pages that show nothing of anyone's.
    EXEMPT = {
        "account_logout",
        "account_reauthenticate",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "staff_mfa_enrol",
        "healthz",
        "readyz",
        "language_switch",
    }
    # Only with a valid enrolment link opened in this session.
    ENROLMENT = {"mfa_activate_totp"}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not requires_second_factor(user):
            return None
        if session_has_second_factor(request):
            return None
        match = request.resolver_match
        name = match.view_name if match else None  # namespaced: "admin:index"
        if name in self.EXEMPT:
            return None
        if name in self.ENROLMENT and enrolment_allowed(request):
            return None
        if user_has_totp(user):
            messages.warning(
                request,
                _("Confirm with the code from your authenticator app to continue."),
            )
            return redirect(
                f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.path})}"
            )
        if enrolment_allowed(request):
            return redirect(reverse("mfa_activate_totp"))
        return render(request, "staff/mfa_enrolment_required.html", status=403)


class SessionActivityMiddleware:
    """Keeps a signed-in session alive while it is used; it ends when idle, and
    in any case SESSION_ABSOLUTE_LIFETIME_SECONDS after the log-in.

    The session expires SESSION_COOKIE_AGE after its last save. Saving it on
    every request would cost a write per page; marking activity at most every
    few minutes keeps the idle timeout within that margin instead. The
    absolute limit bounds what a stolen but busy session is worth.
    """

    RENEW_AFTER_SECONDS = 300

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME_SECONDS:
                logout(request)
                return redirect(f"{reverse('account_login')}?next={request.path}")
            if now - request.session.get("last_activity", 0) > self.RENEW_AFTER_SECONDS:
                mark_session_activity(request)
        return self.get_response(request)


SESSION_STARTED_KEY = "session_started_at"


def mark_session_activity(request: HttpRequest, **kwargs) -> None:
    """Also connected to user_logged_in: a fresh log-in counts as activity."""
    if request is not None and hasattr(request, "session"):
        request.session["last_activity"] = int(time.time())


def mark_session_start(request: HttpRequest) -> None:
    """Connected to user_logged_in: the absolute lifetime counts from here."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = int(time.time())


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is too large before reading any of it.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, and
    files above FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to disk; this stops a
    huge upload at the door. Only the ledger upload (LARGE_UPLOAD_URL_NAMES),
    sent by signed-in staff with their second factor, may be larger: anywhere
    else, or from anyone else, a large body is refused. It runs after the
    session and the user are known; nothing before it reads the body.
    """

    LARGE_UPLOAD_URL_NAMES = ("admin:claims_agreementimport_add",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.large_upload_paths: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = (
            settings.ADMIN_MAX_REQUEST_BYTES
            if self.may_send_large_body(request)
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

    def may_send_large_body(self, request: HttpRequest) -> bool:
        if self.large_upload_paths is None:
            self.large_upload_paths = {
                reverse(name) for name in self.LARGE_UPLOAD_URL_NAMES
            }
        if request.path not in self.large_upload_paths:
            return False
        user = getattr(request, "user", None)
        return bool(
            user is not None
            and requires_second_factor(user)
            and session_has_second_factor(request)
        )
