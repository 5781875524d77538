"""A colleague who joins by domain waits for a company admin's approval (issue
15, R20): every company admin is told by e-mail, in their language, with a link
to remove them and one to approve them; until then the member is refused the
bank details, the company settings and colleagues' claims and payouts, on
every page and in every cached fragment."""

import importlib
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from cashback.models import OutboxMessage
from claims.services import claim_request_invoice
from offers.models import Offer
from payouts.services import bank_details_link
from resellers.models import PendingMembership, ResellerEvent, User
from resellers.selectors import recipients_by_language
from resellers.services import (
    reseller_member_approve,
    reseller_member_join_pending,
    user_membership_set,
)
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory
from tests.payouts.conftest import sign_in_fresh
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import (
    ResellerFactory,
    ReviewerFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

WAITING = "hidden until a company admin approves you"


@pytest.fixture
def company():
    return ResellerFactory(domain="nordlicens.se", legal_name="Nordlicens AB")


@pytest.fixture
def anna(company):
    """A company admin who reads English."""
    return UserFactory(
        email="anna@nordlicens.se",
        first_name="Anna",
        last_name="Berg",
        reseller=company,
        is_company_admin=True,
        preferred_language="en",
    )


@pytest.fixture
def sven(company):
    """A second company admin, who reads Swedish."""
    return UserFactory(
        email="sven@nordlicens.se",
        first_name="Sven",
        last_name="Ek",
        reseller=company,
        is_company_admin=True,
        preferred_language="sv",
    )


def join_by_domain(company, email="erik@nordlicens.se") -> User:
    """A colleague signs up on the company's domain and verifies the address."""
    erik = UserFactory(email=email, first_name="Erik", last_name="Nord", reseller=None)
    PendingMembership.objects.create(user=erik, reseller=company)
    assert reseller_member_join_pending(user=erik) == company
    erik.refresh_from_db()
    return erik


@pytest.fixture
def erik(company, anna, sven):
    return join_by_domain(company)


def per_sale():
    """An offer a company can claim several times (one claim per sale)."""
    return OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)


def announcements(member) -> dict[str, OutboxMessage]:
    event = ResellerEvent.objects.get(
        kind=ResellerEvent.Kind.MEMBER_JOINED, detail__email=member.email
    )
    return {
        recipient: message
        for message in OutboxMessage.objects.filter(
            dedup_key__startswith=f"reseller-member-joined:{event.pk}:"
        )
        for recipient in message.recipients
    }


def links(body: str) -> list[str]:
    """The paths of the portal links in an e-mail body."""
    portal = re.escape(settings.PORTAL_URL.rstrip("/"))
    return re.findall(portal + r"(/[^\s\"<]+/)", body)


def test_every_admin_is_told_in_their_language_with_links_to_approve_and_remove(
    erik, anna, sven, company
):
    """Each admin gets one e-mail in their language naming the colleague and
    their address; the plain members are not told, nor is the colleague."""
    assert erik.reseller == company and not erik.is_company_admin
    assert not erik.is_approved_member
    UserFactory(reseller=company)  # a plain member: not told
    told = announcements(erik)
    assert sorted(told) == [anna.email, sven.email]
    english, swedish = told[anna.email], told[sven.email]
    assert english.subject == (
        "Erik Nord joined Nordlicens AB and waits for your approval"
    )
    assert swedish.subject == (
        "Erik Nord har gått med i Nordlicens AB och väntar på ditt godkännande"
    )
    for message in (english, swedish):
        for body in (message.text_body, message.html_body):
            assert "erik@nordlicens.se" in body
            assert reverse("resellers:member_approve", args=[erik.pk]) in body
            assert reverse("resellers:member_remove", args=[erik.pk]) in body
    assert "If you do not know them, remove them" in english.text_body
    assert "Om du inte känner personen, ta bort den" in swedish.text_body


def test_the_approve_link_asks_then_approves_and_lifts_every_refusal(
    client, erik, anna, company
):
    colleague_claim = ClaimFactory(reseller=company, submitted_by=anna)
    approve_url = reverse("resellers:member_approve", args=[erik.pk])
    assert approve_url in links(announcements(erik)[anna.email].text_body)

    client.force_login(anna)
    asked = client.get(approve_url)
    assert asked.status_code == 200
    assert "erik@nordlicens.se" in asked.content.decode()
    erik.refresh_from_db()
    assert not erik.is_approved_member  # a GET (a mail scanner) approves nothing

    assert client.post(approve_url).status_code == 302
    erik.refresh_from_db()
    assert erik.is_approved_member
    assert (erik.member_approved_by, erik.is_company_admin) == (anna, False)
    event = ResellerEvent.objects.get(kind=ResellerEvent.Kind.MEMBER_APPROVED)
    assert (event.actor, event.detail) == (anna, {"email": erik.email})
    # Approving again changes nothing and records nothing.
    assert not reseller_member_approve(reseller=company, actor=anna, member=erik)
    assert ResellerEvent.objects.filter(kind="member_approved").count() == 1

    client.force_login(erik)
    assert client.get(reverse("resellers:company")).status_code == 200
    assert client.get(colleague_claim.get_absolute_url()).status_code == 200
    assert (
        colleague_claim.reference in client.get(reverse("claims:list")).content.decode()
    )
    payout = PayoutFactory(claim__reseller=company, claim__submitted_by=anna)
    sign_in_fresh(client, erik)
    page = client.get(reverse("payouts:bank_details", args=[payout.pk]))
    # Approved but not an admin: sees that details are needed and whom to ask.
    assert page.status_code == 200
    assert "Only a company admin can enter" in page.content.decode()


def test_the_remove_link_asks_then_removes_the_colleague(client, erik, anna, sven):
    remove_url = reverse("resellers:member_remove", args=[erik.pk])
    assert remove_url in links(announcements(erik)[sven.email].text_body)
    assert remove_url in links(announcements(erik)[anna.email].html_body)
    client.force_login(anna)
    asked = client.get(remove_url)
    assert asked.status_code == 200
    assert "erik@nordlicens.se" in asked.content.decode()
    erik.refresh_from_db()
    assert erik.reseller_id is not None  # a GET removes nothing

    assert client.post(remove_url).status_code == 302
    erik.refresh_from_db()
    assert erik.reseller is None
    assert erik.member_approved_at is None  # joining again asks again
    assert ResellerEvent.objects.filter(
        kind=ResellerEvent.Kind.MEMBER_REMOVED, actor=anna
    ).exists()
    client.force_login(erik)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("resellers:company_pending")


def refusal(response) -> str:
    assert response.status_code == 403
    text = response.content.decode()
    assert WAITING in text
    return text


def test_a_member_not_yet_approved_is_refused_bank_details_and_company_settings(
    client, erik, anna, sven, company
):
    """A 403 with the message naming the admins, never a 500; nothing written."""
    payout = PayoutFactory(claim__reseller=company, claim__submitted_by=erik)
    sign_in_fresh(client, erik)
    bank = reverse("payouts:bank_details", args=[payout.pk])
    text = refusal(client.get(bank))
    assert "Anna Berg" in text and "Sven Ek" in text
    refusal(client.post(bank, {"confirm-submit": "1"}))
    token = bank_details_link(payout).rsplit("/", 2)[-2]
    refusal(client.get(reverse("payouts:bank_details_link", args=[token])))
    refusal(client.get(reverse("resellers:company")))
    refusal(client.post(reverse("resellers:company"), {"legal_name": "Thief AB"}))
    company.refresh_from_db()
    assert company.legal_name == "Nordlicens AB"
    assert not company.bank_accounts.exists()
    # In Swedish too.
    swedish = client.get(bank, HTTP_ACCEPT_LANGUAGE="sv")
    assert swedish.status_code == 403
    assert "tills en företagsadministratör godkänner dig" in swedish.content.decode()
    # The overview says so, naming the admins; offers and filing stay open.
    overview = client.get(reverse("dashboard"))
    assert overview.status_code == 200
    assert WAITING in overview.content.decode()
    assert "Anna Berg" in overview.content.decode()
    assert client.get(reverse("offers:list")).status_code == 200


def test_a_member_not_yet_approved_sees_only_the_claims_they_filed(
    client, erik, anna, company
):
    """Colleagues' claims are a 404 and absent from every list, count and
    offer card; their own claims and payouts are there."""
    theirs = ClaimFactory(reseller=company, submitted_by=anna, offer=per_sale())
    PayoutFactory(
        claim=ClaimFactory(reseller=company, submitted_by=anna, status="approved"),
        amount="777.00",
    )
    own = ClaimFactory(reseller=company, submitted_by=erik, offer=theirs.offer)
    client.force_login(erik)

    listing = client.get(reverse("claims:list")).content.decode()
    assert own.reference in listing and theirs.reference not in listing
    assert client.get(own.get_absolute_url()).status_code == 200
    for name in (
        "claims:detail",
        "claims:withdraw",
        "claims:dispute",
        "claims:upload_invoice",
    ):
        url = reverse(name, kwargs={"reference": theirs.reference})
        response = client.post(url) if name != "claims:detail" else client.get(url)
        assert response.status_code == 404, name
    overview = client.get(reverse("dashboard")).content.decode()
    assert own.reference in overview and theirs.reference not in overview
    payouts = client.get(reverse("payouts:list")).content.decode()
    assert "777" not in payouts
    offers = client.get(theirs.offer.get_absolute_url()).content.decode()
    assert own.reference in offers and theirs.reference not in offers


@pytest.mark.parametrize(
    "page",
    ["dashboard", "claims:list", "offers:list", "claim"],
)
def test_a_member_not_yet_approved_never_sees_colleagues_claims_an_admin_just_saw(
    client, erik, anna, company, page
):
    """The same page, right after a company admin's view, shows the member
    only their own claims, and the admin still every claim."""
    theirs = ClaimFactory(reseller=company, submitted_by=anna, offer=per_sale())
    own = ClaimFactory(reseller=company, submitted_by=erik, offer=theirs.offer)
    url = theirs.get_absolute_url() if page == "claim" else reverse(page)
    # Both signed in first: a log-in saves the user, which renews the pages.
    client.force_login(anna)
    erik_client = Client()
    erik_client.force_login(erik)
    first = client.get(url).content.decode()
    assert theirs.reference in first

    response = erik_client.get(url)
    if page == "claim":
        assert response.status_code == 404
        # Their own claim page still works after the admin cached the company's.
        assert erik_client.get(own.get_absolute_url()).status_code == 200
    else:
        assert response.status_code == 200
        assert theirs.reference not in response.content.decode()
        assert own.reference in response.content.decode()

    again = client.get(url).content.decode()
    assert theirs.reference in again


def test_with_the_setting_off_joining_by_domain_approves_at_once(
    settings, client, company, anna, sven
):
    """`COMPANY_MEMBERS_NEED_APPROVAL=False`: the admins are still told, with
    the link to remove; there is nothing to approve."""
    settings.COMPANY_MEMBERS_NEED_APPROVAL = False
    erik = join_by_domain(company)
    assert erik.is_approved_member
    told = announcements(erik)
    assert sorted(told) == [anna.email, sven.email]
    body = told[anna.email].text_body
    assert told[anna.email].subject == "Erik Nord joined Nordlicens AB"
    assert reverse("resellers:member_remove", args=[erik.pk]) in body
    assert reverse("resellers:member_approve", args=[erik.pk]) not in body
    client.force_login(erik)
    assert client.get(reverse("resellers:company")).status_code == 200


def test_only_a_company_admin_of_the_company_may_approve_or_remove(
    client, erik, anna, company
):
    """A plain member (approved or not) gets a 403 with the message; another
    company's admin a 404; nothing changes."""
    plain = UserFactory(reseller=company)
    stranger_admin = UserFactory(is_company_admin=True)
    approve = reverse("resellers:member_approve", args=[erik.pk])
    remove = reverse("resellers:member_remove", args=[erik.pk])
    for user in (plain, erik):
        client.force_login(user)
        for url in (approve, remove):
            for response in (client.get(url), client.post(url)):
                assert response.status_code == 403
                assert "Only a company admin can do this." in response.content.decode()
    client.force_login(stranger_admin)
    for url in (approve, remove):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    erik.refresh_from_db()
    assert erik.reseller == company and not erik.is_approved_member
    with pytest.raises(PermissionDenied):
        reseller_member_approve(reseller=company, actor=plain, member=erik)
    with pytest.raises(PermissionDenied):
        reseller_member_approve(
            reseller=stranger_admin.reseller, actor=stranger_admin, member=erik
        )
    assert not ResellerEvent.objects.filter(kind="member_approved").exists()


def test_company_emails_reach_a_member_not_yet_approved_only_about_their_claims(
    erik, anna, sven, company
):
    """Claim and payout e-mails go to the members who may see the whole company;
    a member waiting for approval gets those about the claims they filed."""
    reviewer = ReviewerFactory()
    offer = per_sale()
    theirs = ClaimFactory(reseller=company, submitted_by=anna, offer=offer)
    own = ClaimFactory(reseller=company, submitted_by=erik, offer=offer)
    for claim in (theirs, own):
        claim_request_invoice(claim=claim, actor=reviewer, message="Send it.")

    def told(claim) -> set[str]:
        event = claim.events.get(kind="invoice_requested")
        return {
            email
            for message in OutboxMessage.objects.filter(
                dedup_key__startswith=f"claim-event:{event.pk}:"
            )
            for email in message.recipients
        }

    assert told(theirs) == {anna.email, sven.email}
    assert told(own) == {anna.email, sven.email, erik.email}
    everyone = recipients_by_language(reseller_ids=[company.pk])[company.pk]
    assert erik.email not in {email for emails in everyone.values() for email in emails}


def test_the_company_page_lists_who_waits_with_a_link_to_approve(client, erik, anna):
    client.force_login(anna)
    page = client.get(reverse("resellers:company")).content.decode()
    assert "Waiting for approval" in page
    assert reverse("resellers:member_approve", args=[erik.pk]) in page


def test_making_a_member_admin_or_a_program_manager_placing_them_approves(
    client, erik, anna, company
):
    client.force_login(anna)
    client.post(reverse("resellers:member_make_admin", args=[erik.pk]))
    erik.refresh_from_db()
    assert erik.is_approved_member and erik.member_approved_by == anna
    newcomer = UserFactory(reseller=None)
    manager = StaffUserFactory()
    placed = user_membership_set(
        user=newcomer, actor=manager, reseller=company, is_company_admin=False
    )
    assert placed.is_approved_member and placed.member_approved_by == manager


def test_members_from_before_approval_existed_stay_approved(company):
    """The data migration approves everyone already in a company."""
    before = UserFactory(reseller=company, member_approved_at=None)
    staff = StaffUserFactory()
    migration = importlib.import_module("resellers.migrations.0009_member_approval")
    migration.approve_existing_members(apps, None)
    before.refresh_from_db()
    staff.refresh_from_db()
    assert before.member_approved_at == before.date_joined
    assert staff.member_approved_at is None
