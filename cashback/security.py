"""Who is asking and how they proved it: the client's IP address, the second
factor of a staff session, and the one-time link that lets new staff enrol one.

The kernel imports no app: the user model is reached through Django's auth.
"""

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

# A second factor of this kind, used in this session, lets staff in.
SECOND_FACTORS = {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
ENROLMENT_SALT = "cashback.staff-mfa-enrolment"
ENROLMENT_SESSION_KEY = "staff_mfa_enrolment_user"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as allauth's rate limits see it.

    Behind the proxy this follows ALLAUTH_TRUSTED_PROXY_COUNT or
    ALLAUTH_TRUSTED_CLIENT_IP_HEADER, so the log, the terms record and the
    rate limits all name the same address; None when it cannot be told.
    """
    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ValueError):
        return None


def requires_second_factor(user) -> bool:
    """Vendor staff work with other people's data: every request needs MFA."""
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def session_has_second_factor(request: HttpRequest) -> bool:
    """Whether this session's user typed a TOTP (or a recovery code) in it.

    Read from allauth's record of how the session authenticated, not from
    whether an authenticator exists: a session opened without the second
    factor (a password alone, a stolen session cookie's log-in) does not count.
    """
    return any(
        record.get("method") == "mfa" and record.get("type") in SECOND_FACTORS
        for record in get_authentication_records(request, request.user)
    )


def second_factor_record_activation(request: HttpRequest, user, authenticator) -> None:
    """Activating an authenticator means typing its current code: the session
    has used its second factor, so staff are not asked for a second code at
    once (issue 28). Recorded as allauth records a code typed at log-in."""
    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(
        request, user, method="mfa", type=authenticator.type, id=authenticator.pk
    )


def fresh_log_in(request: HttpRequest, *, methods: set[str]) -> bool:
    """Whether this session's user authenticated with one of `methods` within
    allauth's re-authentication timeout: a log-in that recent proves as much
    as asking for the password again (issue 28)."""
    timeout = account_settings.REAUTHENTICATION_TIMEOUT
    now = time.time()
    return any(
        record.get("method") in methods and now - record.get("at", 0) < timeout
        for record in get_authentication_records(request, request.user)
    )


def user_has_totp(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).exists()


def mfa_enrolment_token(user) -> str:
    """A signed token naming the user; it admits one enrolment (see below)."""
    return signing.dumps({"user": user.pk}, salt=ENROLMENT_SALT)


def mfa_enrolment_user(token: str, *, max_age_seconds: int):
    """The user a valid enrolment token names, or None.

    The token is spent once the user has an authenticator: after that only
    the second factor itself lets them in, and a new link is needed to enrol
    another one.
    """
    try:
        data = signing.loads(token, salt=ENROLMENT_SALT, max_age=max_age_seconds)
    except signing.BadSignature:
        return None
    user = get_user_model().objects.filter(pk=data.get("user")).first()
    if user is None or user_has_totp(user):
        return None
    return user


def enrolment_allowed(request: HttpRequest) -> bool:
    """This session opened a valid enrolment link for its own user."""
    return request.session.get(
        ENROLMENT_SESSION_KEY
    ) == request.user.pk and not user_has_totp(request.user)
