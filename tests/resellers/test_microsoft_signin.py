"""Sign-in with a Microsoft work account (issue 19, R23), against a real provider.

Every test drives the whole flow: the portal's button, the provider's own
authorization form (oidc-provider-mock, a separate process with the claims the
test chose), the callback, and the portal's pages after it.
"""

import os
import re
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

import jwt
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.core import mail
from django.urls import reverse

from resellers.microsoft import (
    CONSUMER_TENANT_ID,
    email_is_verified,
    expected_issuer,
)
from resellers.models import Reseller, User
from tests.conftest import ROOT

from .factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

TENANT = "5f1c2f0e-8d33-4a57-9c35-0c6f3c7b2a11"  # Nordlicens AB's Entra tenant
TENANT_AUTHORITY = f"https://login.microsoftonline.com/{TENANT}/v2.0"
COMPANY = {
    "first_name": "Anna",
    "last_name": "Berg",
    "legal_name": "Nordlicens AB",
    "country": "SE",
    "org_number": "559123-4561",
    "vat_number": "SE559123456101",
}


def claims(email: str, *, tid: str = TENANT, oid: str | None = None, **extra):
    """The ID token claims Entra sends for a work account; `extra` overrides."""
    return {
        "email": email,
        "preferred_username": email,
        "name": "Anna Berg",
        "given_name": "Anna",
        "family_name": "Berg",
        "tid": tid,
        "oid": oid or str(uuid.uuid4()),
        "xms_edov": True,
        **extra,
    }


def microsoft_sign_in(client, provider, *, user_claims: dict | None, query=""):
    """Press "Sign in with Microsoft", answer the provider's form, follow back.

    `user_claims=None` denies consent at the provider. Returns the portal's
    answer to the callback.
    """
    sub = str(uuid.uuid4())
    if user_claims is not None:
        provider.user_set(sub, user_claims)
    response = client.post(reverse("resellers:microsoft_login") + query)
    assert response.status_code == 302
    authorize_url = response["Location"]
    assert authorize_url.startswith(provider.url)
    callback = urlsplit(
        provider.authorize(authorize_url, sub=sub if user_claims else None)
    )
    assert callback.path == reverse("resellers:microsoft_callback")
    return client.get(f"{callback.path}?{callback.query}")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_no_client_id_means_no_button(client):
    """Without MICROSOFT_CLIENT_ID the log-in and sign-up pages have no button."""
    for name in ("account_login", "account_signup"):
        page = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert "Sign in with Microsoft" not in page.content.decode()


def test_the_button_shows_on_log_in_and_sign_up_in_swedish(client, microsoft_provider):
    """With a client id both pages offer the button, translated."""
    for name in ("account_login", "account_signup"):
        page = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="sv")
        html = page.content.decode()
        assert "Logga in med Microsoft" in html
        assert reverse("resellers:microsoft_login") in html


def test_work_account_goes_to_the_company_form_then_to_the_offers(
    client, microsoft_provider, django_capture_on_commit_callbacks
):
    """A first sign-in asks for the company first; a verified address sees offers."""
    oid = str(uuid.uuid4())
    response = microsoft_sign_in(
        client,
        microsoft_provider,
        user_claims=claims("anna@nordlicens.se", oid=oid),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("socialaccount_signup")
    assert not User.objects.exists()  # nothing written before the company form

    form_page = client.get(reverse("socialaccount_signup"), HTTP_ACCEPT_LANGUAGE="en")
    form = form_page.context["form"]
    assert form["email"].value() == "anna@nordlicens.se"
    assert form.fields["email"].disabled
    assert {"legal_name", "country", "org_number", "vat_number"} <= set(form.fields)
    # The dashboard is not reachable before the company is given.
    assert client.get(reverse("dashboard")).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("socialaccount_signup"),
            {**COMPANY, "email": "someone-else@other.example"},
        )
    assert done.status_code == 302
    user = User.objects.get()
    assert user.email == "anna@nordlicens.se"  # the disabled field kept Entra's
    assert user.is_company_admin
    assert user.reseller.legal_name == "Nordlicens AB"
    assert user.reseller.org_number == "5591234561"
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("microsoft", f"{TENANT}:{oid}")
    assert EmailAddress.objects.get(user=user).verified  # xms_edov: true
    assert client.get(reverse("offers:list")).status_code == 200


def test_a_company_form_error_is_shown_and_nothing_is_written(
    client, microsoft_provider
):
    """A wrong organisation number is refused on its field; no user is created."""
    microsoft_sign_in(
        client, microsoft_provider, user_claims=claims("anna@nordlicens.se")
    )
    response = client.post(
        reverse("socialaccount_signup"),
        {**COMPANY, "org_number": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["org_number"]
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_a_colleague_joins_the_existing_company(client, microsoft_provider):
    """Same domain and number: a colleague with a verified address joins at once."""
    company = ResellerFactory(
        legal_name="Nordlicens AB", org_number="5591234561", domain="nordlicens.se"
    )
    microsoft_sign_in(
        client, microsoft_provider, user_claims=claims("bo@nordlicens.se")
    )
    client.post(reverse("socialaccount_signup"), COMPANY)
    colleague = User.objects.get(email="bo@nordlicens.se")
    assert colleague.reseller == company
    assert not colleague.is_company_admin
    assert Reseller.objects.count() == 1


@pytest.mark.parametrize(
    ("tid", "email"),
    [
        (CONSUMER_TENANT_ID, "anna@nordlicens.se"),
        (TENANT, "anna.berg@hotmail.se"),
        (TENANT, "anna.berg@outlook.com"),
    ],
    ids=["consumer-tenant", "hotmail-address", "outlook-address"],
)
def test_a_personal_microsoft_account_is_refused(
    client, microsoft_provider, tid, email
):
    """The consumer tenant and Microsoft's consumer mail are told to use work."""
    response = microsoft_sign_in(
        client, microsoft_provider, user_claims=claims(email, tid=tid)
    )
    assert response["Location"] == reverse("account_login")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert any("work account" in message for message in messages_of(page))
    assert not User.objects.exists()
    assert not client.session.get("socialaccount_sociallogin")


def test_a_webmail_address_in_a_work_tenant_is_refused_naming_the_domain(
    client, microsoft_provider
):
    """The domain policy of sign-up (R1) applies to the address Entra gives."""
    response = microsoft_sign_in(
        client, microsoft_provider, user_claims=claims("anna.berg@gmail.com")
    )
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.request["PATH_INFO"] == reverse("account_login")
    assert any("gmail.com" in message for message in messages_of(page))
    assert not User.objects.exists()


def test_an_unverified_address_gets_the_portals_own_verification_mail(
    client, microsoft_provider, django_capture_on_commit_callbacks
):
    """Without xms_edov the address is verified by the portal before offers."""
    unverified = claims("anna@nordlicens.se", xms_edov=False)
    microsoft_sign_in(client, microsoft_provider, user_claims=unverified)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("socialaccount_signup"), COMPANY)
    user = User.objects.get()
    assert not EmailAddress.objects.get(user=user).verified
    assert [message.to for message in mail.outbox] == [["anna@nordlicens.se"]]
    link = re.search(
        r"https?://[^/]+(/accounts/confirm-email/[^/\s]+/)", mail.outbox[0].body
    )
    assert link is not None
    client.force_login(user)
    assert client.get(reverse("offers:list"))["Location"] == reverse(
        "resellers:verification_required"
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link[1])
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("offers:list")).status_code == 200


def test_an_existing_password_account_is_linked_only_after_its_password(
    client, microsoft_provider, django_capture_on_commit_callbacks
):
    """Same address as a password account: no merge until the password is given."""
    owner = UserFactory(email="anna@nordlicens.se")
    oid = str(uuid.uuid4())
    user_claims = claims("anna@nordlicens.se", oid=oid)

    response = microsoft_sign_in(client, microsoft_provider, user_claims=user_claims)
    login_url = response["Location"]
    assert login_url.startswith(reverse("account_login") + "?next=")
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1

    logged_in = client.post(
        login_url,
        {"login": "anna@nordlicens.se", "password": "correct-horse-battery"},
    )
    assert logged_in.status_code == 302
    connect_page = client.get(logged_in["Location"])
    assert connect_page.status_code == 200  # "Connect Microsoft?", then the provider
    connect_query = "?" + urlsplit(logged_in["Location"]).query
    linked = microsoft_sign_in(
        client, microsoft_provider, user_claims=user_claims, query=connect_query
    )
    assert linked.status_code == 302
    account = SocialAccount.objects.get()
    assert (account.user, account.uid) == (owner, f"{TENANT}:{oid}")

    # From now on Microsoft alone signs the owner in.
    client.logout()
    again = microsoft_sign_in(client, microsoft_provider, user_claims=user_claims)
    assert again.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_the_identity_is_tenant_and_object_id_not_the_address(
    client, microsoft_provider
):
    """Another tenant claiming a linked address is not let into that account."""
    owner = UserFactory(email="anna@nordlicens.se")
    SocialAccount.objects.create(
        user=owner, provider="microsoft", uid=f"{TENANT}:anna-object-id"
    )
    impostor = claims("anna@nordlicens.se", tid=str(uuid.uuid4()), oid="anna-object-id")
    response = microsoft_sign_in(client, microsoft_provider, user_claims=impostor)
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert "_auth_user_id" not in client.session
    assert SocialAccount.objects.count() == 1

    # The real identity with a changed address still reaches its owner.
    moved = claims("anna.berg@nordlicens.se", oid="anna-object-id")
    microsoft_sign_in(client, microsoft_provider, user_claims=moved)
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_cancelled_consent_returns_to_log_in_with_a_message(client, microsoft_provider):
    """Denying at the provider ends on the log-in page, told so in Swedish."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "sv"
    response = microsoft_sign_in(client, microsoft_provider, user_claims=None)
    assert response["Location"] == reverse("account_login")
    page = client.get(response["Location"])
    assert any("avbröts" in message for message in messages_of(page))


def linked_staff(*, oid: str) -> User:
    staff = StaffUserFactory(email="eva@vendor.example")
    SocialAccount.objects.create(
        user=staff, provider="microsoft", uid=f"{TENANT}:{oid}"
    )
    return staff


def test_staff_with_microsoft_still_give_their_totp(client, microsoft_provider):
    """A linked staff member without provider MFA is asked for the TOTP code."""
    oid = str(uuid.uuid4())
    staff = linked_staff(oid=oid)
    assert Authenticator.objects.filter(user=staff).exists()
    response = microsoft_sign_in(
        client,
        microsoft_provider,
        user_claims=claims("eva@vendor.example", oid=oid, amr=["pwd"]),
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_a_microsoft_mfa_claim_does_not_stand_in_for_the_staff_totp(
    client, microsoft_provider
):
    """Entra's `amr` with mfa is the tenant's own word (issue 27): a staff
    member is still asked for the portal's TOTP, and no staff page opens
    before it."""
    oid = str(uuid.uuid4())
    linked_staff(oid=oid)
    response = microsoft_sign_in(
        client,
        microsoft_provider,
        user_claims=claims("eva@vendor.example", oid=oid, amr=["pwd", "mfa"]),
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    admin_page = client.get(reverse("admin:index"))
    assert admin_page.status_code == 302  # to a log-in, not the admin


def test_the_company_admin_sees_who_signs_in_with_microsoft(
    client, django_assert_max_num_queries
):
    """The members list marks Microsoft sign-ins, with no query per member."""
    admin = UserFactory(is_company_admin=True)
    colleague = UserFactory(reseller=admin.reseller, first_name="Bo")
    SocialAccount.objects.create(user=colleague, provider="microsoft", uid="t:o")
    client.force_login(admin)
    client.get(reverse("resellers:company"))  # warm the per-process caches
    with django_assert_max_num_queries(12) as captured:
        page = client.get(reverse("resellers:company"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert html.count("Signs in with Microsoft") == 1
    members = {m.pk: m.signs_in_with_microsoft for m in page.context["members"]}
    assert members == {admin.pk: False, colleague.pk: True}
    for n in range(3):
        more = UserFactory(reseller=admin.reseller)
        SocialAccount.objects.create(user=more, provider="microsoft", uid=f"t:{n}")
    with django_assert_max_num_queries(len(captured)):
        html = client.get(reverse("resellers:company")).content.decode()
    assert html.count("Signs in with Microsoft") == 4

    client.force_login(colleague)
    html = client.get(reverse("resellers:company")).content.decode()
    assert "Signs in with Microsoft" not in html  # only admins see it


def test_each_token_is_checked_against_its_own_tenants_issuer():
    """Entra's multi-tenant issuer is filled in with the token's tenant."""
    token = jwt.encode({"tid": TENANT}, "k" * 32, algorithm="HS256")
    assert (
        expected_issuer("https://login.microsoftonline.com/{tenantid}/v2.0", token)
        == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    )
    assert expected_issuer("http://127.0.0.1:9400", token) == "http://127.0.0.1:9400"
    with pytest.raises(OAuth2Error):  # the callback's error page, not a 500
        expected_issuer("https://login.microsoftonline.com/{tenantid}/v2.0", "x.y")


@pytest.mark.parametrize(
    ("claim", "verified"),
    [(True, True), ("true", True), ("1", True), (False, False), (None, False)],
)
def test_only_a_true_verified_domain_claim_verifies_the_address(claim, verified):
    """xms_edov (or email_verified) true in any form Entra sends it; else not."""
    assert email_is_verified({"xms_edov": claim}) is verified
    assert email_is_verified({"email_verified": claim}) is verified


def test_a_token_from_another_issuer_is_refused(client, microsoft_provider, settings):
    """An ID token whose issuer is not the authority's signs nobody in."""
    openid_connect = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]
    app = openid_connect["APPS"][0]
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **openid_connect,
            "APPS": [
                {
                    **app,
                    "settings": {
                        **app["settings"],
                        "openid_configuration_overrides": {
                            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"
                        },
                    },
                }
            ],
        }
    }
    response = microsoft_sign_in(
        client, microsoft_provider, user_claims=claims("anna@nordlicens.se")
    )
    assert response["Location"] == reverse("account_login")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert any("did not work" in message for message in messages_of(page))
    assert not User.objects.exists()
    assert not client.session.get("socialaccount_sociallogin")


def test_a_sign_in_name_without_an_email_claim_is_verified_by_the_portal(
    client, microsoft_provider, django_capture_on_commit_callbacks
):
    """Without an `email` claim the sign-in name is used, never as verified."""
    no_email = claims("anna@nordlicens.se", xms_edov=True)
    del no_email["email"]
    microsoft_sign_in(client, microsoft_provider, user_claims=no_email)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("socialaccount_signup"), COMPANY)
    address = EmailAddress.objects.get(email="anna@nordlicens.se")
    assert not address.verified
    assert [message.to for message in mail.outbox] == [["anna@nordlicens.se"]]


SETTINGS_PROBE = (
    "from django.conf import settings; "
    "apps = settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS']; "
    "print(len(apps), apps and apps[0]['settings']['server_url'], "
    "settings.SECURE_CSP['form-action'][-1])"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "0 [] 'self'"),
        (
            {"MICROSOFT_CLIENT_ID": "client", "MICROSOFT_CLIENT_SECRET": "secret"},
            "1 https://login.microsoftonline.com/organizations/v2.0 "
            "https://login.microsoftonline.com",
        ),
        (
            {"MICROSOFT_CLIENT_ID": "client", "MICROSOFT_AUTHORITY": TENANT_AUTHORITY},
            f"1 {TENANT_AUTHORITY} https://login.microsoftonline.com",
        ),
    ],
    ids=["no-client-id", "multi-tenant-default", "one-tenant"],
)
def test_the_environment_configures_the_provider_and_the_form_policy(env, expected):
    """MICROSOFT_* configure the app; the browser may then be sent to the authority."""
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSOFT_")}
    probe = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SETTINGS_PROBE],
        cwd=ROOT,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "cashback.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == expected


def test_an_unverified_colleague_joins_the_company_once_confirmed(
    client, microsoft_provider, django_capture_on_commit_callbacks
):
    """Issue 28: the pending join was dropped before the address was checked,
    so a colleague Entra did not vouch for never joined. After the portal's
    confirmation they join like any colleague, waiting for approval."""
    company = ResellerFactory(
        legal_name="Nordlicens AB", org_number="5591234561", domain="nordlicens.se"
    )
    unverified = claims("bo@nordlicens.se", xms_edov=False)
    microsoft_sign_in(client, microsoft_provider, user_claims=unverified)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("socialaccount_signup"), COMPANY)
    colleague = User.objects.get(email="bo@nordlicens.se")
    assert colleague.reseller is None  # not before the address is proved
    message = next(m for m in mail.outbox if m.to == ["bo@nordlicens.se"])
    link = re.search(r"https?://[^/]+(/accounts/confirm-email/[^/\s]+/)", message.body)
    assert link is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link[1])
    colleague.refresh_from_db()
    assert colleague.reseller == company
    assert not colleague.is_company_admin
    assert not colleague.is_approved_member  # waits for a company admin
