"""The allauth adapter: allauth's e-mails go through the outbox, and a verified
address lets a colleague join their company."""

import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from cashback.outbox import outbox_email_enqueue

from .models import User
from .services import reseller_member_join_pending


class AccountAdapter(DefaultAccountAdapter):
    """Thin: delivery through the outbox, and the join-on-verification hook."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Vendor staff work in admin; resellers land on their overview."""
        if request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's message in the recipient's language, then queue it.

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
        request = self.request
        full_context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        with translation.override(language):
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

    def get_login_stages(self) -> list[str]:
        """allauth's stages, with the TOTP step that knows Entra's MFA (R23)."""
        return [
            "resellers.microsoft.ProviderMfaAuthenticateStage"
            if path == "allauth.mfa.stages.AuthenticateStage"
            else path
            for path in super().get_login_stages()
        ]

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            reseller_member_join_pending(user=email_address.user)
        return confirmed
