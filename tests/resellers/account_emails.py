"""Every e-mail allauth can send with the portal's apps, and a way to make
allauth send each of them as its own flow does (tests and the browser walk)."""

from types import SimpleNamespace

from allauth.account.adapter import get_adapter
from allauth.account.internal import flows
from allauth.account.models import EmailAddress, EmailConfirmationHMAC

# Every e-mail allauth can send with our apps, and the page its link opens.
NOTICE_LINK = "account_reset_password"
EMAILS = {
    "account/email/email_confirmation_signup": "account_confirm_email",
    "account/email/email_confirmation": "account_confirm_email",
    "account/email/password_reset_key": "account_reset_password_from_key",
    "account/email/password_reset_code": "account_reset_password",
    "account/email/login_code": "account_login",
    "account/email/unknown_account": "account_signup",
    "account/email/account_already_exists": "account_reset_password",
    "account/email/password_changed": NOTICE_LINK,
    "account/email/password_set": NOTICE_LINK,
    "account/email/password_reset": NOTICE_LINK,
    "account/email/email_changed": NOTICE_LINK,
    "account/email/email_confirm": NOTICE_LINK,
    "account/email/email_deleted": NOTICE_LINK,
    "mfa/email/totp_activated": NOTICE_LINK,
    "mfa/email/totp_deactivated": NOTICE_LINK,
    "mfa/email/recovery_codes_generated": NOTICE_LINK,
    "mfa/email/webauthn_added": NOTICE_LINK,
    "mfa/email/webauthn_removed": NOTICE_LINK,
    "socialaccount/email/account_connected": NOTICE_LINK,
    "socialaccount/email/account_disconnected": NOTICE_LINK,
}


def account_email_send(prefix: str, user) -> None:
    """Make allauth send `prefix` to `user` the way its own flows do, inside
    the request context of the caller (allauth.core.context.request_context);
    "unknown_account" goes to an address no account has."""
    adapter = get_adapter()
    request = adapter.request
    name = prefix.rsplit("/", 1)[-1]
    address = EmailAddress.objects.get(user=user, primary=True)
    if name.startswith("email_confirmation"):
        adapter.send_confirmation_mail(
            request, EmailConfirmationHMAC(address), signup=name.endswith("signup")
        )
    elif name == "password_reset_key":
        flows.password_reset.request_password_reset(
            request, user.email, [user], token_generator=None
        )
    elif name == "unknown_account":
        flows.signup.send_unknown_account_mail(request, "nobody@nordlicens.se")
    elif name == "account_already_exists":
        adapter.send_account_already_exists_mail(user.email)
    elif name.endswith("_code"):
        adapter.send_mail(prefix, user.email, {"user": user, "code": "7K2QX9"})
    else:
        extra = {
            "email_changed": {"from_email": user.email, "to_email": "kl@nordlicens.se"},
            "email_deleted": {"deleted_email": "old@nordlicens.se"},
            "account_connected": {"provider": SimpleNamespace(name="Microsoft")},
            "account_disconnected": {"provider": SimpleNamespace(name="Microsoft")},
        }.get(name, {})
        adapter.send_notification_mail(prefix, user, extra)
