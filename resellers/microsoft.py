"""Sign-in with a Microsoft work account (Microsoft Entra ID, OpenID Connect), R23.

allauth's `openid_connect` provider talks to Entra; this module adds what the
program needs on top:

- the identity is the tenant id and object id (`tid:oid`), never the e-mail;
- personal Microsoft accounts and addresses the domain policy (R1) refuses are
  turned away before anything is written;
- the e-mail counts as verified only when Entra says the domain owner verified
  it (`xms_edov`, or `email_verified`); otherwise the portal verifies it itself;
- an address that already has a password account is linked only after the
  person logs in with that password (no merge by e-mail, "nOAuth");
- a first sign-in goes on to the company form, as e-mail sign-up does;
- staff give the portal's own TOTP after a Microsoft sign-in as after a
  password: Entra's `amr` claim is the tenant's own word, which the portal
  cannot check, so it never stands in for the second factor (issue 27).
"""

import logging

import jwt
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.forms import SignupForm as SocialSignupForm
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2CallbackView,
    OAuth2LoginView,
)
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider,
)
from allauth.socialaccount.providers.openid_connect.views import (
    OpenIDConnectOAuth2Adapter,
)
from allauth.utils import build_absolute_uri
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .domain_policy import email_domain, email_domain_validate
from .domain_policy import email_domain_refusal as domain_policy_refusal
from .forms import CompanySignupFields
from .models import User
from .services import reseller_member_join_pending

logger = logging.getLogger("resellers.security")

PROVIDER_ID = "microsoft"  # the allauth app's provider_id, stored on SocialAccount
# Entra's tenant of personal Microsoft accounts (outlook.com, hotmail, live).
CONSUMER_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
# First labels of Microsoft's consumer mail domains in every country
# (outlook.com, hotmail.se, live.se, msn.com, ...).
CONSUMER_MAIL_LABELS = frozenset({"outlook", "hotmail", "live", "msn", "windowslive"})


# The rules -----------------------------------------------------------------


def microsoft_claims(sociallogin: SocialLogin) -> dict:
    """The ID token's claims, which is what Entra vouches for."""
    data = sociallogin.account.extra_data or {}
    return data.get("id_token") or data


def is_consumer_account(*, claims: dict, email: str) -> bool:
    """A personal Microsoft account: the consumer tenant or a consumer mail domain."""
    if claims.get("tid") == CONSUMER_TENANT_ID:
        return True
    labels = email_domain(email).split(".")
    # outlook.com, hotmail.se, hotmail.co.uk; not a company's live.example.se.
    return labels[0] in CONSUMER_MAIL_LABELS and (
        len(labels) == 2 or (len(labels) == 3 and labels[1] in {"co", "com"})
    )


def microsoft_refusal(*, claims: dict, email: str) -> str | None:
    """Why this Microsoft sign-in cannot be used for the portal, or None."""
    if not claims.get("tid") or not claims.get("oid") or not email:
        return str(work_account_message())
    if is_consumer_account(claims=claims, email=email):
        return str(work_account_message())
    return domain_policy_refusal(email)


def work_account_message():
    return _(
        "Personal Microsoft accounts cannot be used. Sign in with your work "
        "account: the Microsoft account your company gives you, on its own domain."
    )


def email_is_verified(claims: dict) -> bool:
    """Entra vouches for the address only when the domain owner verified it."""
    return _claim_true(claims.get("xms_edov")) or _claim_true(
        claims.get("email_verified")
    )


def _claim_true(value) -> bool:
    # Entra sends booleans; "true" and "1" are the same answer in string form.
    return value is True or str(value).lower() in {"true", "1"}


def expected_issuer(discovery_issuer: str, id_token: str) -> str:
    """The issuer an ID token must name: the discovery document's, for its tenant.

    The token's `tid` is read before its signature is checked only to build
    this value; the signature, audience and expiry are then checked against
    it, so a token naming another tenant than its issuer fails.
    """
    try:
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise OAuth2Error("Invalid id_token") from error
    return discovery_issuer.replace("{tenantid}", str(unverified.get("tid", "")))


# The provider --------------------------------------------------------------


class MicrosoftProvider(OpenIDConnectProvider):
    """Entra ID through allauth's OpenID Connect provider, keyed by tid:oid."""

    def get_login_url(self, request: HttpRequest, **kwargs) -> str:
        url = reverse("resellers:microsoft_login")
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def get_oauth2_adapter(self, request: HttpRequest):
        return MicrosoftOAuth2Adapter(request, self.app.provider_id)

    def extract_uid(self, data: dict) -> str:
        claims = data.get("id_token") or data
        return f"{claims.get('tid', '')}:{claims.get('oid', '')}"

    def extract_common_fields(self, data: dict) -> dict:
        claims = data.get("id_token") or data
        fields = super().extract_common_fields(data)
        # Entra puts the sign-in name in preferred_username when `email` is absent.
        fields["email"] = claims.get("email") or claims.get("preferred_username")
        return fields

    def extract_email_addresses(self, data: dict) -> list[EmailAddress]:
        claims = data.get("id_token") or data
        if claims.get("email"):
            verified = email_is_verified(claims)
            email = claims["email"]
        else:
            # The sign-in name is not a verified mailbox: the portal checks it.
            verified = False
            email = claims.get("preferred_username")
        if not email:
            return []
        return [EmailAddress(email=email, verified=verified, primary=True)]


class MicrosoftOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    """Checks the ID token against the tenant that issued it.

    Entra's multi-tenant discovery document names its issuer with a `{tenantid}`
    placeholder; each token's issuer is that of the person's own tenant.
    """

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=expected_issuer(self.openid_config["issuer"], id_token),
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
        )

    def get_callback_url(self, request: HttpRequest, app) -> str:
        return build_absolute_uri(
            request, reverse("resellers:microsoft_callback"), self.redirect_uri_protocol
        )


def microsoft_login(request: HttpRequest) -> HttpResponse:
    try:
        view = OAuth2LoginView.adapter_view(
            MicrosoftOAuth2Adapter(request, PROVIDER_ID)
        )
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


def microsoft_callback(request: HttpRequest) -> HttpResponse:
    try:
        view = OAuth2CallbackView.adapter_view(
            MicrosoftOAuth2Adapter(request, PROVIDER_ID)
        )
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


# The adapter ---------------------------------------------------------------


class MicrosoftSocialAccountAdapter(DefaultSocialAccountAdapter):
    """Thin: applies the rules above at the points allauth offers."""

    def get_provider(self, request: HttpRequest, provider, client_id=None):
        found = super().get_provider(request, provider, client_id)
        return _as_microsoft(request, found)

    def list_providers(self, request: HttpRequest) -> list:
        return [_as_microsoft(request, p) for p in super().list_providers(request)]

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.account.provider != PROVIDER_ID:
            return
        claims = microsoft_claims(sociallogin)
        email = _login_email(sociallogin)
        refusal = microsoft_refusal(claims=claims, email=email)
        if refusal:
            logger.info(
                "microsoft sign-in refused tenant=%s domain=%s",
                claims.get("tid"),
                email_domain(email),
            )
            messages.error(request, refusal)
            raise ImmediateHttpResponse(redirect("account_login"))
        connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
        if sociallogin.is_existing or connecting:
            return
        if _address_in_use(email):
            # Never merged by e-mail: the owner of the password account proves
            # it first, then links Microsoft from inside their session.
            messages.info(
                request,
                _(
                    "An account with %(email)s already exists. Log in with its "
                    "password once, and your Microsoft account is linked to it."
                )
                % {"email": email},
            )
            link_url = (
                reverse("resellers:microsoft_login")
                + "?"
                + urlencode({"process": AuthProcess.CONNECT})
            )
            raise ImmediateHttpResponse(
                redirect(f"{reverse('account_login')}?{urlencode({'next': link_url})}")
            )

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        if provider is None or provider.app.provider_id != PROVIDER_ID:
            return
        if error == AuthError.CANCELLED:
            messages.info(
                request,
                _(
                    "Signing in with Microsoft was cancelled. You can try again or "
                    "log in with your e-mail address and password."
                ),
            )
        else:
            logger.warning("microsoft sign-in failed: %s %s", error, exception)
            messages.error(
                request,
                _("Signing in with Microsoft did not work. Please try again."),
            )
        raise ImmediateHttpResponse(redirect("account_login"))

    def is_auto_signup_allowed(self, request, sociallogin: SocialLogin) -> bool:
        return False  # the company form comes before anything else

    def get_connect_redirect_url(self, request, socialaccount) -> str:
        return reverse("dashboard")


def _as_microsoft(request: HttpRequest, provider):
    if (
        isinstance(provider, OpenIDConnectProvider)
        and not isinstance(provider, MicrosoftProvider)
        and provider.app.provider_id == PROVIDER_ID
    ):
        return MicrosoftProvider(request, app=provider.app)
    return provider


def _login_email(sociallogin: SocialLogin) -> str:
    addresses = sociallogin.email_addresses
    return addresses[0].email if addresses else ""


def _address_in_use(email: str) -> bool:
    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


# The company form ------------------------------------------------------------


class MicrosoftSignupForm(CompanySignupFields, SocialSignupForm):
    """A first Microsoft sign-in: the person's name and their company (R1)."""

    field_order = [
        "email",
        "first_name",
        "last_name",
        "legal_name",
        "country",
        "org_number",
        "vat_number",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The address is the one Microsoft gave: changing it here would sign
        # up an address nobody has proved.
        self.fields["email"].disabled = True
        self.fields["email"].label = _("Work e-mail address")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("You"), "email", "first_name", "last_name"),
            Fieldset(
                _("Your company"), "legal_name", "country", "org_number", "vat_number"
            ),
        )

    def clean_email(self) -> str:
        email = super().clean_email()
        email_domain_validate(email)
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        self.company_clean(cleaned)
        return cleaned

    def save(self, request: HttpRequest):
        # The user, the Microsoft identity and the company together or not at all.
        with transaction.atomic():
            user = super().save(request)
            self.company_register(user)
            # A colleague whose address Entra verified joins at once, as an
            # e-mail sign-up joins once its address is confirmed.
            reseller_member_join_pending(user=user)
        return user
