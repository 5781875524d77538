"""Double submits, two tabs, two colleagues: one claim, never two (PostgreSQL)."""

import threading

import pytest
from django.db import connection, transaction

from cashback.models import OutboxMessage
from claims.models import Claim, ClaimAgreement, ClaimEvent, DuplicateAttempt
from claims.services import ClaimError, claim_file
from offers.models import Offer
from tests.offers.factories import OfferFactory
from tests.resellers.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("in_window")]


def race(attempts: list) -> tuple[list, list]:
    """Run each attempt in its own thread (own connection), all at once."""
    barrier = threading.Barrier(len(attempts))
    filed, refused = [], []

    def run(attempt):
        try:
            barrier.wait()
            filed.append(attempt())
        except ClaimError as error:
            refused.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return filed, refused


def attempt(user, offer, numbers):
    return lambda: claim_file(
        reseller=user.reseller,
        offer=offer,
        user=user,
        agreement_numbers=numbers,
        accepted_terms=True,
        ip="192.0.2.1",
    )


def test_colleagues_filing_at_once_create_one_claim(transactional_db):
    """Eight simultaneous submits of one company in one-claim mode: one claim."""
    user = UserFactory()
    colleagues = [user] + [UserFactory(reseller=user.reseller) for _ in range(7)]
    offer = OfferFactory()
    filed, refused = race(
        [attempt(c, offer, f"8700000{i}") for i, c in enumerate(colleagues)]
    )
    assert len(filed) == 1 and len(refused) == 7
    assert Claim.objects.count() == 1
    assert all(e.error_dict["__all__"][0].code == "existing_claim" for e in refused)


def test_two_companies_racing_for_one_number_create_one_claim(transactional_db):
    """The number goes to one; the other is refused and flagged (R7)."""
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)
    users = [UserFactory() for _ in range(6)]
    filed, refused = race([attempt(u, offer, "87000001") for u in users])
    assert len(filed) == 1 and len(refused) == 5
    assert ClaimAgreement.objects.filter(agreement_number="87000001").count() == 1
    assert DuplicateAttempt.objects.count() == 5


def test_references_stay_unique_across_offers(transactional_db):
    """Filings on different offers (different locks) still get distinct numbers."""
    attempts = [attempt(UserFactory(), OfferFactory(), f"8700000{i}") for i in range(8)]
    _filed, refused = race(attempts)
    assert not refused
    references = set(Claim.objects.values_list("reference", flat=True))
    assert len(references) == 8


def test_fifty_companies_file_on_one_offer_at_once(transactional_db):
    """A deadline day: 50 companies file on one offer from 50 threads at once;
    each gets its claim, with its own reference, one filed event and its
    e-mail, and no number is on two claims."""
    offer = OfferFactory()
    users = [UserFactory() for _ in range(50)]
    filed, refused = race(
        [attempt(u, offer, f"8700{i:04d}") for i, u in enumerate(users)]
    )
    assert len(filed) == 50 and not refused, refused
    claims = Claim.objects.filter(offer=offer)
    assert claims.count() == 50
    assert set(claims.values_list("reseller", flat=True)) == {
        u.reseller_id for u in users
    }
    assert len(set(claims.values_list("reference", flat=True))) == 50
    filed_events = ClaimEvent.objects.filter(
        claim__offer=offer, kind=ClaimEvent.Kind.FILED
    )
    assert filed_events.count() == 50
    assert filed_events.values("claim").distinct().count() == 50
    assert ClaimAgreement.objects.filter(offer=offer).count() == 50
    email_of = {u.reseller_id: u.email for u in users}
    expected = {
        event.pk: ([email_of[event.claim.reseller_id]], event.claim.reference)
        for event in filed_events.select_related("claim")
    }
    messages = OutboxMessage.objects.filter(dedup_key__startswith="claim-event:")
    assert messages.count() == 50
    for message in messages:
        recipients, reference = expected[int(message.dedup_key.split(":")[1])]
        assert message.recipients == recipients
        assert reference in message.subject


def test_a_filing_waits_for_no_other_filing_of_the_offer(transactional_db):
    """While one company's filing is still uncommitted, another company files
    on the same offer without waiting for it (no lock all filers share)."""
    offer = OfferFactory()
    first, second = UserFactory(), UserFactory()
    filed_first, release = threading.Event(), threading.Event()
    outcome = []

    def file_and_hold():
        try:
            with transaction.atomic():
                outcome.append(attempt(first, offer, "87000001")())
                filed_first.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=file_and_hold)
    holder.start()
    try:
        assert filed_first.wait(20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Waiting on the first filing's locks would fail, not hang.
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            claim = attempt(second, offer, "87000002")()
        assert claim.reseller == second.reseller
    finally:
        release.set()
        holder.join(30)
    assert Claim.objects.filter(offer=offer).count() == 2
