"""The security log: who logged in, failed to, proved a second factor, changed
an address, a password or someone's permissions or staff flags, connected a
Microsoft account, downloaded an invoice or a payment file, exported a list,
uploaded or confirmed a bank file.

Log-ins, second factors, passwords, addresses, Microsoft accounts and
permission changes are reported by Django's and allauth's own signals,
connected here (infrastructure logging, not business state: nothing else
listens for these rows); staff and superuser flags by the user's own save.
Downloads, exports and bank files are recorded by the views that serve them,
through `security_event_record`.
"""

import logging

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.socialaccount import signals as social_signals
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.http import HttpRequest
from simple_history.models import HistoricalRecords

from .models import SecurityEvent
from .security import client_ip, second_factor_record_activation

logger = logging.getLogger(__name__)
Kind = SecurityEvent.Kind


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user=None,
    email: str = "",
    ip_address: str | None = None,
    **detail,
) -> SecurityEvent:
    """Append one event; the user defaults to the request's, the IP is the
    client's as the rate limits see it (cashback.security.client_ip), or
    `ip_address` when a service records what a view passed it."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        email=(email or getattr(user, "email", "") or "")[:254],
        ip_address=(
            ip_address
            if ip_address is not None or request is None
            else client_ip(request)
        ),
        detail={key: str(value) for key, value in detail.items()},
    )


def _logged_in(sender, request, user, **kwargs) -> None:
    security_event_record(kind=Kind.LOGIN, request=request, user=user)


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; only the
    # address that was tried is kept.
    tried = credentials.get("email") or credentials.get("username") or ""
    security_event_record(kind=Kind.LOGIN_FAILED, request=request, email=tried)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event_record(kind=Kind.LOGOUT, request=request, user=user)


def _step_completed(sender, request, method, user, **kwargs) -> None:
    # allauth records every way a session authenticates; a repeated
    # password (or code) in an open session is a re-authentication.
    if kwargs.get("reauthenticated") and method != "mfa":
        security_event_record(
            kind=Kind.REAUTHENTICATED, request=request, user=user, method=method
        )


def _email_changed(sender, request, user, from_email_address, to_email_address, **kw):
    security_event_record(
        kind=Kind.EMAIL_CHANGED,
        request=request,
        user=user,
        old=getattr(from_email_address, "email", ""),
        new=getattr(to_email_address, "email", ""),
    )


def _email_added(sender, request, user, email_address, **kwargs) -> None:
    security_event_record(
        kind=Kind.EMAIL_ADDED, request=request, user=user, new=email_address.email
    )


def _password_changed(sender, request, user, **kwargs) -> None:
    security_event_record(kind=Kind.PASSWORD_CHANGED, request=request, user=user)


def _password_reset(sender, request, user, **kwargs) -> None:
    security_event_record(kind=Kind.PASSWORD_RESET, request=request, user=user)


def _password_set(sender, request, user, **kwargs) -> None:
    security_event_record(kind=Kind.PASSWORD_SET, request=request, user=user)


def _email_removed(sender, request, user, email_address, **kwargs) -> None:
    security_event_record(
        kind=Kind.EMAIL_REMOVED, request=request, user=user, old=email_address.email
    )


def _social_added(sender, request, sociallogin, **kwargs) -> None:
    account = sociallogin.account
    security_event_record(
        kind=Kind.MICROSOFT_CONNECTED,
        request=request,
        user=account.user,
        provider=account.provider,
        uid=account.uid,
    )


def _social_removed(sender, request, socialaccount, **kwargs) -> None:
    security_event_record(
        kind=Kind.MICROSOFT_DISCONNECTED,
        request=request,
        user=socialaccount.user,
        provider=socialaccount.provider,
        uid=socialaccount.uid,
    )


STAFF_FLAGS = ("is_staff", "is_superuser")


def _flags_before(sender, instance, update_fields=None, **kwargs) -> None:
    # Only a save that may write the flags reads them first (a log-in's
    # save of last_login does not).
    if instance.pk is None or (
        update_fields is not None and not set(STAFF_FLAGS) & set(update_fields)
    ):
        instance._staff_flags_before = None
        return
    instance._staff_flags_before = (
        sender._default_manager.filter(pk=instance.pk).values(*STAFF_FLAGS).first()
    )


def _flags_after(sender, instance, created, **kwargs) -> None:
    before = getattr(instance, "_staff_flags_before", None)
    instance._staff_flags_before = None
    if created:
        before = {flag: False for flag in STAFF_FLAGS}
    if before is None:
        return
    changed = {
        flag: getattr(instance, flag)
        for flag in STAFF_FLAGS
        if before[flag] != getattr(instance, flag)
    }
    if not changed:
        return
    request = _acting_request()
    security_event_record(
        kind=Kind.STAFF_FLAGS_CHANGED,
        request=request,
        user=getattr(request, "user", None) if request is not None else None,
        target=instance.email,
        target_id=instance.pk,
        **changed,
    )


def _mfa_added(sender, request, user, authenticator, **kwargs) -> None:
    security_event_record(
        kind=Kind.MFA_ADDED, request=request, user=user, type=authenticator.type
    )
    second_factor_record_activation(request, user, authenticator)


def _mfa_removed(sender, request, user, authenticator, **kwargs) -> None:
    security_event_record(
        kind=Kind.MFA_REMOVED, request=request, user=user, type=authenticator.type
    )


def _mfa_used(sender, request, user, authenticator, **kwargs) -> None:
    reauthenticated = bool(kwargs.get("reauthenticated"))
    security_event_record(
        kind=Kind.REAUTHENTICATED if reauthenticated else Kind.MFA_USED,
        request=request,
        user=user,
        type=authenticator.type,
        method="mfa",
    )


def _mfa_failed(sender, request, user, authenticator=None, **kwargs) -> None:
    security_event_record(
        kind=Kind.MFA_FAILED,
        request=request,
        user=user,
        type=getattr(authenticator, "type", ""),
    )


def _acting_request() -> HttpRequest | None:
    # simple_history's middleware keeps the request for the history rows;
    # a change made in admin is thereby attributed to the staff member.
    return getattr(HistoricalRecords.context, "request", None)


def _membership_changed(kind: str):
    def receiver(sender, instance, action, model, pk_set, reverse, **kwargs):
        if action not in {"post_add", "post_remove", "post_clear"}:
            return
        request = _acting_request()
        actor = getattr(request, "user", None) if request is not None else None
        security_event_record(
            kind=kind,
            request=request,
            user=actor,
            target=str(instance),
            target_id=instance.pk,
            action=action.removeprefix("post_"),
            changed=sorted(pk_set or []),
            # reverse: `instance` is the group or permission, not the user.
            side="reverse" if reverse else "forward",
        )

    return receiver


def connect() -> None:
    """Connect the receivers (from CashbackConfig.ready)."""
    user_model = get_user_model()
    pairs = [
        (auth_signals.user_logged_in, _logged_in, None),
        (auth_signals.user_login_failed, _login_failed, None),
        (auth_signals.user_logged_out, _logged_out, None),
        (account_signals.authentication_step_completed, _step_completed, None),
        (account_signals.email_changed, _email_changed, None),
        (account_signals.email_added, _email_added, None),
        (account_signals.password_changed, _password_changed, None),
        (account_signals.password_reset, _password_reset, None),
        (account_signals.password_set, _password_set, None),
        (account_signals.email_removed, _email_removed, None),
        (social_signals.social_account_added, _social_added, None),
        (social_signals.social_account_removed, _social_removed, None),
        (mfa_signals.authenticator_added, _mfa_added, None),
        (mfa_signals.authenticator_removed, _mfa_removed, None),
        (mfa_signals.authenticator_used, _mfa_used, None),
        (mfa_signals.authentication_failed, _mfa_failed, None),
        (m2m_changed, _membership_changed(Kind.GROUPS_CHANGED), user_model.groups),
        (
            m2m_changed,
            _membership_changed(Kind.PERMISSIONS_CHANGED),
            user_model.user_permissions,
        ),
        (m2m_changed, _membership_changed(Kind.PERMISSIONS_CHANGED), Group.permissions),
    ]
    for number, (signal, receiver, relation) in enumerate(pairs):
        signal.connect(
            receiver,
            sender=relation.through if relation is not None else None,
            weak=False,
            dispatch_uid=f"cashback.security_log.{number}",
        )
    pre_save.connect(
        _flags_before,
        sender=user_model,
        weak=False,
        dispatch_uid="cashback.security_log.flags_before",
    )
    post_save.connect(
        _flags_after,
        sender=user_model,
        weak=False,
        dispatch_uid="cashback.security_log.flags_after",
    )
