"""The reseller pages read what they show on every view (there is no page
cache): every write shows at once, whoever made it and however (a service, a
set-based update, the reminder sweep); a company sees only its own rows; and a
claim's page reads a fixed number of queries whatever the claim holds."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from claims.services import claim_request_invoice
from payouts.models import Payout
from payouts.services import payouts_send_reminders
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def user():
    return UserFactory(first_name="Anna")


@pytest.fixture
def signed_in(client, user, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.force_login(user)
    return client


def html(client, url: str, language: str = "en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return re.sub(
        r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode()
    )


def test_another_companys_reference_is_404(signed_in, user, client):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    assert signed_in.get(claim.get_absolute_url()).status_code == 200
    client.force_login(UserFactory())
    assert client.get(claim.get_absolute_url()).status_code == 404


def test_each_company_sees_its_own_claims(signed_in, user):
    mine = ClaimFactory(reseller=user.reseller, submitted_by=user)
    other_user = UserFactory()
    theirs = ClaimFactory(reseller=other_user.reseller, submitted_by=other_user)
    other = Client()
    other.force_login(other_user)
    for url in (reverse("claims:list"), reverse("dashboard")):
        my_page = html(signed_in, url)
        their_page = html(other, url)
        assert mine.reference in my_page and theirs.reference not in my_page
        assert theirs.reference in their_page and mine.reference not in their_page


def test_colleagues_see_the_companys_claims_under_their_own_names(
    signed_in, user, client
):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    assert "Welcome, Anna" in html(signed_in, reverse("dashboard"))
    client.force_login(UserFactory(first_name="Erik", reseller=user.reseller))
    page = html(client, reverse("dashboard"))
    assert "Welcome, Erik" in page and "Welcome, Anna" not in page
    assert claim.reference in page


def test_the_forms_follow_the_claims_state_at_once(signed_in, user):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    page = html(signed_in, claim.get_absolute_url())
    assert "Upload the customer invoice" not in page
    assert "Withdraw the claim" in page
    claim_request_invoice(claim=claim, actor=ReviewerFactory(), message="Send it.")
    assert "Upload the customer invoice" in html(signed_in, claim.get_absolute_url())


def test_a_reviewers_request_shows_on_every_page_at_once(signed_in, user):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    pages = [reverse("dashboard"), reverse("claims:list"), claim.get_absolute_url()]
    before = {url: html(signed_in, url) for url in pages}
    assert "Upload a copy of the customer invoice" not in before[pages[0]]

    claim_request_invoice(claim=claim, actor=ReviewerFactory(), message="Send 4711.")

    after = {url: html(signed_in, url) for url in pages}
    assert "Upload a copy of the customer invoice" in after[pages[0]]
    assert "Invoice requested" not in before[pages[1]]
    assert "Invoice requested" in after[pages[1]]
    assert "Send 4711." in after[pages[2]]


def test_a_set_based_update_shows_at_once(signed_in, user):
    payout = PayoutFactory(
        claim__reseller=user.reseller, amount="1234.00", currency="SEK"
    )
    assert "Paid" not in html(signed_in, reverse("dashboard"))
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.PAID)
    assert "Paid" in html(signed_in, reverse("dashboard"))


def test_an_offer_change_shows_to_every_company(signed_in, user):
    offer = OfferFactory(title_en="Cloud spring")
    assert "Cloud spring" in html(signed_in, reverse("offers:list"))
    offer.title_en = "Cloud summer"
    offer.save()
    other = Client()
    other.force_login(UserFactory())
    for who in (signed_in, other):
        listing = html(who, reverse("offers:list"))
        assert "Cloud summer" in listing
        assert "Cloud spring" not in listing


def test_the_reminder_sweep_shows_at_once(signed_in, user):
    payout = PayoutFactory(
        claim__reseller=user.reseller,
        status=Payout.Status.AWAITING_BANK_DETAILS,
        bank_details_due_at=NOW - dt.timedelta(hours=1),
        reminders_sent=3,
        offer__max_reminders=3,
    )
    task = f"bank details for {payout.claim.reference}"
    assert task in html(signed_in, reverse("dashboard"))
    assert payouts_send_reminders(now=NOW).forfeited == 1
    assert task not in html(signed_in, reverse("dashboard"))


def test_each_language_shows_its_own_words(signed_in, user):
    ClaimFactory(reseller=user.reseller, submitted_by=user, offer__title_sv="Molnvår")
    assert "Latest claims" in html(signed_in, reverse("dashboard"), "en")
    swedish = html(signed_in, reverse("dashboard"), "sv")
    assert "Senaste anspråk" in swedish and "Molnvår" in swedish
    assert "Latest claims" not in swedish


def test_a_claim_page_runs_a_fixed_number_of_queries(
    signed_in, user, django_assert_num_queries
):
    """Session, user, the claim with its offer, terms and payout (none yet),
    agreements (each with whether the ledger holds it), invoices, events:
    whatever their number."""
    few = ClaimFactory(
        reseller=user.reseller, submitted_by=user, agreement_numbers=["87000001"]
    )
    many = ClaimFactory(
        reseller=user.reseller,
        submitted_by=user,
        agreement_numbers=[f"8700100{n}" for n in range(5)],
    )
    claim_request_invoice(claim=many, actor=ReviewerFactory(), message="Send it.")
    for claim in (few, many):
        with django_assert_num_queries(6):
            page = html(signed_in, claim.get_absolute_url())
        assert claim.offer.title_en in page
        assert f"Version {claim.terms.version}" in page
