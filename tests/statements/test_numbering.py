"""Gap-free numbers under concurrent releases (R25): real PostgreSQL, two
threads each issuing the documents of its own batch's payments at once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from claims.models import Claim
from payouts.bank.models import BatchPayment
from payouts.models import PaymentBatch, Payout
from statements.models import NumberSeries, PaymentStatement, VatDocument
from statements.services import payment_documents_issue
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import StaffUserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PER_BATCH = 6


def _booked_batch(name: str) -> list[tuple[int, int]]:
    """A released batch whose payments the bank booked, documents not issued
    yet: (payout id, batch id) of each."""
    batch = PaymentBatch.objects.create(
        currency="SEK",
        message_id=name,
        status=PaymentBatch.Status.CLOSED,
        created_by=StaffUserFactory(),
    )
    pairs = []
    for _ in range(PER_BATCH):
        payout = PayoutFactory(
            claim__status=Claim.Status.APPROVED,
            status=Payout.Status.PAID,
            batch=batch,
            payout_amount=Decimal("1000.00"),
            payout_currency="SEK",
        )
        BatchPayment.objects.create(
            batch=batch,
            payout=payout,
            end_to_end_id=payout.claim.reference,
            amount=payout.payout_amount,
            currency="SEK",
            answer=BatchPayment.Answer.BOOKED,
        )
        pairs.append((payout.pk, batch.pk))
    return pairs


def _race(jobs: list[list[tuple[int, int]]]) -> list[BaseException]:
    """Run each list of payments in a thread of its own, all started together."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def work(pairs):
        try:
            start.wait()
            for payout_id, batch_id in pairs:
                payment_documents_issue(payout_id=payout_id, batch_id=batch_id)
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(pairs,)) for pairs in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_two_concurrent_releases_take_every_number_once_without_a_gap():
    first, second = _booked_batch("RACE-A"), _booked_batch("RACE-B")
    assert _race([first, second]) == []
    sequences = sorted(VatDocument.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 2 * PER_BATCH + 1))
    numbers = set(VatDocument.objects.values_list("number", flat=True))
    assert numbers == {f"CN-{n:06d}" for n in range(1, 2 * PER_BATCH + 1)}
    assert NumberSeries.objects.get(key="credit_note").last_number == 2 * PER_BATCH


def test_two_runs_for_the_same_payments_issue_each_once():
    """Two workers given the same payments (a retry racing the first run)."""
    payments = _booked_batch("RACE-C")
    assert _race([payments, list(reversed(payments))]) == []
    assert PaymentStatement.objects.count() == PER_BATCH
    assert VatDocument.objects.count() == PER_BATCH
    assert NumberSeries.objects.get(key="credit_note").last_number == PER_BATCH
