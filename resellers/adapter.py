"""The allauth adapter: allauth's e-mails speak as the program and go through
the outbox, and a verified address lets a colleague join their company."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress, EmailConfirmation
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timeuntil

from cashback.outbox import outbox_email_enqueue
from cashback.security import fresh_log_in

from .models import User
from .services import reseller_member_join_pending


@dataclass(frozen=True)
class PortalSite:
    """What allauth's e-mail context calls the site: the program at PORTAL_URL,
    whatever host the request that caused the e-mail came in on."""

    name: str
    domain: str


def portal_link(url: str) -> str:
    """`url` (a path, or a link allauth built from the request's host) on
    PORTAL_URL, so an e-mail never carries the host a request came in on."""
    portal = urlsplit(settings.PORTAL_URL)
    parts = urlsplit(url)
    return urlunsplit(
        (portal.scheme, portal.netloc, parts.path, parts.query, parts.fragment)
    )


def _link_lifetime(template_prefix: str, context: dict) -> timedelta | None:
    """How long the link or code in this e-mail works, from allauth's settings."""
    name = template_prefix.rsplit("/", 1)[-1]
    if name.startswith("email_confirmation"):
        if "code" in context:
            return timedelta(
                seconds=account_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT
            )
        return timedelta(days=account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS)
    if name == "password_reset_key":
        # allauth's key is Django's password-reset token.
        return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    if name == "password_reset_code":
        return timedelta(seconds=account_settings.PASSWORD_RESET_BY_CODE_TIMEOUT)
    if name == "login_code":
        return timedelta(seconds=account_settings.LOGIN_BY_CODE_TIMEOUT)
    return None


class AccountAdapter(DefaultAccountAdapter):
    """Thin: delivery through the outbox, and the join-on-verification hook."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Vendor staff work in admin; resellers land on their overview."""
        if request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def format_email_subject(self, subject: str) -> str:
        """The subjects name the program themselves (templates/account/email)."""
        return subject

    def get_email_confirmation_url(
        self, request: HttpRequest, emailconfirmation: EmailConfirmation
    ) -> str:
        """allauth's confirmation link, on PORTAL_URL."""
        return portal_link(
            super().get_email_confirmation_url(request, emailconfirmation)
        )

    def get_reset_password_from_key_url(self, key: str) -> str:
        """allauth's password-reset link, on PORTAL_URL."""
        return portal_link(super().get_reset_password_from_key_url(key))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's message as the program, in the recipient's language,
        then queue it.

        The recipient's language is their preference, else that of the page
        that caused the message. Every link is on PORTAL_URL: allauth builds
        some (the sign-up and reset pages) from the request's host without a
        hook, so each `*_url` is moved there too.

        The outbox delivers after commit and retries while the mail server or
        the worker is down. The key is the message itself, so a double
        submission of one form stores one message while every new link (which
        differs) is a new message.
        """
        user = context.get("user") or User.objects.filter(email__iexact=email).first()
        language = (
            user.language
            if isinstance(user, User) and user.preferred_language
            else translation.get_language() or settings.LANGUAGE_CODE
        )
        full_context = {
            "request": self.request,
            "email": email,
            **context,
            **{
                key: portal_link(value)
                for key, value in context.items()
                if key.endswith("_url") and isinstance(value, str)
            },
            "current_site": PortalSite(
                name=settings.PROGRAM_NAME,
                domain=urlsplit(settings.PORTAL_URL).netloc,
            ),
            "program_name": settings.PROGRAM_NAME,
            "support_email": settings.SUPPORT_EMAIL,
            "portal_url": portal_link(reverse("home")),
            "login_url": portal_link(reverse("account_login")),
            "forgot_password_url": portal_link(reverse("account_reset_password")),
        }
        lifetime = _link_lifetime(template_prefix, context)
        with translation.override(language):
            if lifetime is not None:
                now = timezone.now()
                full_context["valid_for"] = timeuntil(now + lifetime, now, depth=1)
            message = self.render_mail(template_prefix, email, full_context)
        html_body = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        digest = hashlib.sha256(
            f"{template_prefix}\n{email}\n{message.body}".encode()
        ).hexdigest()[:32]
        outbox_email_enqueue(
            dedup_key=f"allauth:{template_prefix.rsplit('/', 1)[-1]}:{digest}",
            recipients=[email],
            template="emails/account_message",
            context={
                "subject": message.subject,
                "text_body": message.body,
                "html_body": html_body,
            },
            language=language,
        )

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A log-in within allauth's re-authentication timeout is taken as the
        re-authentication (issue 28): asking for the password again straight
        after it would prove nothing more. Linking Microsoft (R23) counts
        only a fresh password log-in, the proof the account is the user's."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = self.request
        if request is None or not request.user.is_authenticated:
            return True
        methods = (
            {"password"}
            if app == "allauth.socialaccount"
            else {"password", "mfa", "socialaccount"}
        )
        return not fresh_log_in(request, methods=methods)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            reseller_member_join_pending(user=email_address.user)
        return confirmed
