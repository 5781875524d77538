"""Sign-up through allauth: the person, their company, verification and joining."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from cashback.models import OutboxMessage
from resellers.models import PendingMembership, Reseller, ResellerEvent, User

from .factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-enough-passw0rd"


def signup_data(**overrides) -> dict:
    data = {
        "email": "anna@nordlicens.se",
        "first_name": "Anna",
        "last_name": "Berg",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "legal_name": "Nordlicens AB",
        "country": "SE",
        "org_number": "559123-4561",
        "vat_number": "SE559123456101",
    }
    data.update(overrides)
    return data


def sign_up(client, capture, **overrides):
    with capture(execute=True):
        return client.post(
            reverse("account_signup"),
            signup_data(**overrides),
            HTTP_ACCEPT_LANGUAGE="en",
        )


def confirm_from_last_mail(client, capture) -> None:
    body = mail.outbox[-1].body
    path = re.search(r"https?://[^/]+(/accounts/confirm-email/[^/\s]+/)", body)[1]
    with capture(execute=True):
        response = client.post(path)
    assert response.status_code == 302


def test_signup_creates_the_user_and_company_and_sends_verification(
    client, django_capture_on_commit_callbacks
):
    """The first user creates the company, becomes its admin and gets a mail."""
    response = sign_up(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    user = User.objects.get(email="anna@nordlicens.se")
    reseller = user.reseller
    assert user.is_company_admin
    assert (user.first_name, user.last_name) == ("Anna", "Berg")
    assert reseller.legal_name == "Nordlicens AB"
    assert reseller.normalized_name == "nordlicens"
    assert reseller.org_number == "5591234561"
    assert reseller.vat_number == "SE559123456101"
    assert reseller.status == Reseller.Status.ACTIVE
    assert list(reseller.domains.values_list("domain", flat=True)) == ["nordlicens.se"]
    assert not EmailAddress.objects.get(user=user).verified
    # allauth's verification mail went through the outbox.
    assert OutboxMessage.objects.filter(recipients=["anna@nordlicens.se"]).exists()
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert ResellerEvent.objects.filter(
        reseller=reseller, kind=ResellerEvent.Kind.REGISTERED
    ).exists()


def test_the_signup_page_is_in_swedish_for_a_swedish_browser(client):
    """The form is in Swedish (allauth's own strings come with their catalogue)."""
    html = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="sv").content
    assert b'<html lang="sv">' in html
    assert "Lösenord".encode() in html


@pytest.mark.parametrize(
    "email",
    ["anna@gmail.com", "ANNA@Hotmail.se", "anna@telia.com", "anna@mailinator.com"],
)
def test_signup_with_a_private_address_is_refused_on_the_form(client, email):
    """The form names the domain; nothing is written."""
    response = client.post(
        reverse("account_signup"), signup_data(email=email), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert email.split("@")[1].lower() in response.content.decode()
    assert "company" in response.context["form"].errors["email"][0]
    assert not User.objects.exists()
    assert not Reseller.objects.exists()


def test_signup_with_an_invalid_org_number_is_refused(client):
    """A wrong organisation number is an error on its field; nothing is written."""
    response = client.post(
        reverse("account_signup"), signup_data(org_number="559123-4562")
    )
    assert response.status_code == 200
    assert "org_number" in response.context["form"].errors
    assert not User.objects.exists()


def test_signup_needs_a_vat_number_in_a_vat_country(client):
    """A Swedish company has a VAT number, so the form asks for it."""
    response = client.post(reverse("account_signup"), signup_data(vat_number=""))
    assert "vat_number" in response.context["form"].errors
    assert not User.objects.exists()


def test_unverified_user_is_sent_to_verify_from_every_reseller_page(
    client, django_capture_on_commit_callbacks
):
    """Until the address is verified, reseller pages lead to the resend page."""
    sign_up(client, django_capture_on_commit_callbacks)
    user = User.objects.get(email="anna@nordlicens.se")
    client.force_login(user)
    for url in ["/company/", "/offers/", "/claims/", "/payouts/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("resellers:verification_required"), url
    page = client.get(reverse("resellers:verification_required"))
    assert "anna@nordlicens.se" in page.content.decode()
    assert 'name="action_send"' in page.content.decode()


def test_resend_from_the_verification_page_sends_a_new_link(
    client, django_capture_on_commit_callbacks
):
    """The resend button on the verification page sends the mail again."""
    user = UserFactory(email="kim@acme.example", verified=False)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_email"),
            {"email": "kim@acme.example", "action_send": ""},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@acme.example"]


def test_verified_first_user_sees_the_company(
    client, django_capture_on_commit_callbacks
):
    """After verifying, the first user is signed in and sees /company/."""
    sign_up(client, django_capture_on_commit_callbacks)
    confirm_from_last_mail(client, django_capture_on_commit_callbacks)
    response = client.get("/company/")
    assert response.status_code == 200
    assert "Nordlicens AB" in response.content.decode()


def test_colleague_with_same_domain_and_number_joins_after_verification(
    client, django_capture_on_commit_callbacks
):
    """Same domain and org number: the colleague joins, but only once verified,
    and waits for a company admin's approval (tests/resellers/
    test_member_approval.py)."""
    reseller = ResellerFactory(org_number="5591234561", domain="nordlicens.se")
    UserFactory(email="anna@nordlicens.se", reseller=reseller, is_company_admin=True)

    sign_up(
        client,
        django_capture_on_commit_callbacks,
        email="erik@nordlicens.se",
        first_name="Erik",
        legal_name="Something Else AB",
    )
    erik = User.objects.get(email="erik@nordlicens.se")
    assert erik.reseller is None
    assert PendingMembership.objects.get(user=erik).reseller == reseller
    assert Reseller.objects.count() == 1

    confirm_from_last_mail(client, django_capture_on_commit_callbacks)
    erik.refresh_from_db()
    assert erik.reseller == reseller
    assert not erik.is_company_admin
    assert not PendingMembership.objects.exists()
    # In, but the company settings wait for a company admin's approval (R20).
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/company/").status_code == 403
    assert ResellerEvent.objects.filter(
        reseller=reseller, kind=ResellerEvent.Kind.MEMBER_JOINED
    ).exists()


def test_same_domain_with_another_number_is_held_not_twinned(
    client, django_capture_on_commit_callbacks
):
    """Same domain, different org number: a new company held for a manager."""
    existing = ResellerFactory(org_number="5591234561", domain="nordlicens.se")
    sign_up(
        client,
        django_capture_on_commit_callbacks,
        email="olle@nordlicens.se",
        legal_name="Nordlicens Syd AB",
        org_number="556036-0793",
        vat_number="SE556036079301",
    )
    olle = User.objects.get(email="olle@nordlicens.se")
    held = olle.reseller
    assert held != existing
    assert held.status == Reseller.Status.HELD
    assert "nordlicens.se" in held.review_note
    assert olle.is_company_admin

    confirm_from_last_mail(client, django_capture_on_commit_callbacks)
    response = client.get("/offers/")
    assert response.url == reverse("resellers:company_pending")


def test_number_registered_with_another_domain_is_refused(client):
    """The org number belongs to a company on another domain: refused, no twin."""
    ResellerFactory(org_number="5591234561", domain="nordlicens.se")
    response = client.post(
        reverse("account_signup"),
        signup_data(email="kim@other-company.se"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "org_number" in response.context["form"].errors
    assert not User.objects.filter(email="kim@other-company.se").exists()


def test_adding_a_private_address_is_refused(client):
    """E-mail change passes the same domain check as sign-up."""
    user = UserFactory(email="kim@acme.example")
    client.force_login(user)
    response = client.post(
        reverse("account_email"), {"email": "kim@gmail.com", "action_add": ""}
    )
    assert response.status_code == 200
    assert "gmail.com" in response.content.decode()
    assert not EmailAddress.objects.filter(email="kim@gmail.com").exists()


@pytest.mark.parametrize(
    "url_name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_email_verification_sent",
    ],
)
def test_account_pages_use_the_portal_layout(client, url_name):
    """allauth's pages extend base.html: the portal's nav, footer and Bootstrap."""
    html = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "bootstrap.min.css" in html
    assert 'id="main"' in html
    assert "mailto:" in html


def test_logout_page_uses_the_portal_layout(client):
    """The log-out confirmation is in the portal's layout too."""
    client.force_login(UserFactory())
    html = client.get(reverse("account_logout")).content.decode()
    assert "bootstrap.min.css" in html
    assert 'class="btn btn-brand"' in html
