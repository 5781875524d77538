"""The reseller pages' cached fragments (cashback.pagecache): served without
reading the data again, shared by a company's users, never by two companies,
and rendered afresh as soon as a write changes what they show."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse

from cashback.pagecache import (
    PROGRAM_KEY,
    RESELLER_KEY,
    page_version,
    program_pages_changed,
    resellers_pages_changed,
)
from claims.services import claim_request_invoice
from payouts.models import Payout
from payouts.services import payouts_send_reminders
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 26)
# Masked afresh on every response.
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="\w+"')


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


@pytest.mark.parametrize(
    "url", [reverse("dashboard"), reverse("offers:list"), reverse("claims:list")]
)
def test_a_second_view_reads_only_the_session_and_the_user(
    signed_in, user, url, django_assert_num_queries
):
    ClaimFactory.create_batch(3, reseller=user.reseller, submitted_by=user)
    PayoutFactory(claim__reseller=user.reseller)
    first = html(signed_in, url)
    with django_assert_num_queries(2):  # the session, the user with the company
        second = html(signed_in, url)
    assert second == first


def test_a_claim_page_reads_no_claim_once_cached(
    signed_in, user, django_assert_num_queries
):
    """Its forms need only the claim's cached actions (claims.presentation)."""
    claim = ClaimFactory(
        reseller=user.reseller, submitted_by=user, agreement_numbers=["87000001"]
    )
    first = html(signed_in, claim.get_absolute_url())
    with django_assert_num_queries(2):  # the session, the user with the company
        second = html(signed_in, claim.get_absolute_url())
    assert "87000001" in second
    assert "Withdraw the claim" in second
    assert second == first


def test_another_companys_reference_is_404_even_when_cached(signed_in, user, client):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    assert signed_in.get(claim.get_absolute_url()).status_code == 200
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(claim.get_absolute_url()).status_code == 404


def test_the_forms_follow_the_claims_state_at_once(signed_in, user):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    assert "Upload the customer invoice" not in html(
        signed_in, claim.get_absolute_url()
    )
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
    """QuerySet.update sends no signal; the claims' and payouts' querysets bump."""
    payout = PayoutFactory(
        claim__reseller=user.reseller, amount="1234.00", currency="SEK"
    )
    assert "Paid" not in html(signed_in, reverse("dashboard"))
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.PAID)
    assert "Paid" in html(signed_in, reverse("dashboard"))


def test_an_offer_change_shows_to_every_company(signed_in, user, client):
    offer = OfferFactory(title_en="Cloud spring")
    assert "Cloud spring" in html(signed_in, reverse("offers:list"))
    offer.title_en = "Cloud summer"
    offer.save()
    listing = html(signed_in, reverse("offers:list"))
    assert "Cloud summer" in listing
    assert "Cloud spring" not in listing


def test_colleagues_share_the_fragments_but_not_their_names(
    signed_in, user, client, django_assert_num_queries
):
    ClaimFactory(reseller=user.reseller, submitted_by=user)
    assert "Welcome, Anna" in html(signed_in, reverse("dashboard"))
    colleague = UserFactory(first_name="Erik", reseller=user.reseller)
    client.force_login(colleague)
    html(client, reverse("dashboard"))  # the log-in saved last_login: a bump
    with django_assert_num_queries(2):
        page = html(client, reverse("dashboard"))
    assert "Welcome, Erik" in page
    assert "Welcome, Anna" not in page


def test_each_company_sees_its_own_claims(signed_in, user, client):
    mine = ClaimFactory(reseller=user.reseller, submitted_by=user)
    other_user = UserFactory()
    theirs = ClaimFactory(reseller=other_user.reseller, submitted_by=other_user)
    my_page = html(signed_in, reverse("claims:list"))
    client.force_login(other_user)
    their_page = html(client, reverse("claims:list"))
    assert mine.reference in my_page and theirs.reference not in my_page
    assert theirs.reference in their_page and mine.reference not in their_page


def test_each_language_has_its_own_fragment(signed_in, user):
    ClaimFactory(reseller=user.reseller, submitted_by=user)
    assert "Latest claims" in html(signed_in, reverse("dashboard"), "en")
    swedish = html(signed_in, reverse("dashboard"), "sv")
    assert "Senaste anspråk" in swedish
    assert "Latest claims" not in swedish


def test_another_companys_write_keeps_this_companys_version(user):
    offer = OfferFactory()  # an offer is the program's: every company's pages
    other = UserFactory()
    mine = page_version(reseller_id=user.reseller_id, today=TODAY)
    ClaimFactory(reseller=other.reseller, submitted_by=other, offer=offer)
    assert page_version(reseller_id=user.reseller_id, today=TODAY) == mine
    ClaimFactory(reseller=user.reseller, submitted_by=user, offer=offer)
    assert page_version(reseller_id=user.reseller_id, today=TODAY) != mine


def test_a_lost_version_is_never_read_as_an_old_one(signed_in, user):
    """A version evicted from the cache gets a fresh token, not a default a
    fragment may still be stored under."""
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    assert "Submitted" in html(signed_in, reverse("claims:list"))
    with connection.cursor() as cursor:  # behind the ORM's back: no bump
        cursor.execute(
            "UPDATE claims_claim SET status = 'rejected' WHERE id = %s", [claim.pk]
        )
    assert "Rejected" not in html(signed_in, reverse("claims:list"))  # still cached
    cache.delete(RESELLER_KEY.format(user.reseller_id))
    assert "Rejected" in html(signed_in, reverse("claims:list"))


def test_a_write_bumps_at_once_and_again_after_commit(
    user, django_capture_on_commit_callbacks
):
    def version():
        return page_version(reseller_id=user.reseller_id, today=TODAY)

    before = version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            resellers_pages_changed([user.reseller_id])
            inside = version()
        assert inside != before
    assert len(callbacks) == 1
    assert version() not in {before, inside}


def test_the_day_is_part_of_the_key(user):
    assert page_version(reseller_id=user.reseller_id, today=TODAY) != page_version(
        reseller_id=user.reseller_id, today=TODAY + dt.timedelta(days=1)
    )
    assert cache.get(PROGRAM_KEY)


def test_the_reminder_sweep_shows_at_once(signed_in, user):
    """The sweep writes set-based, behind no signal: its update bumps."""
    payout = PayoutFactory(
        claim__reseller=user.reseller,
        status=Payout.Status.AWAITING_BANK_DETAILS,
        bank_details_due_at=NOW - dt.timedelta(hours=1),
        reminders_sent=3,
        offer__max_reminders=3,
    )
    assert f"bank details for {payout.claim.reference}" in html(
        signed_in, reverse("dashboard")
    )
    assert payouts_send_reminders(now=NOW).forfeited == 1
    assert f"bank details for {payout.claim.reference}" not in html(
        signed_in, reverse("dashboard")
    )


def test_a_claim_page_reads_the_claim_once_when_nothing_is_cached(
    signed_in, user, django_assert_num_queries
):
    """Session, user, the claim (for its actions and its fragment alike), its
    offer and terms, agreements, invoices, events: whatever their number."""
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
        program_pages_changed()
        with django_assert_num_queries(8):
            html(signed_in, claim.get_absolute_url())
