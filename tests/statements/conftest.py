"""Paid payouts the way the bank pays them: a released batch, then the bank's
camt.054 booking read through the portal's one way in."""

from payouts.models import Payout
from statements.models import PaymentStatement
from tests.payouts.bank.answers import book, give_back
from tests.payouts.bank.conftest import batch_payouts, released_batch


def pay(count: int = 1, currency: str = "SEK", before_booking=None) -> list[Payout]:
    """`count` payouts released in one batch and booked by the bank; the
    statement task runs after the booking's commit (eager in tests)."""
    batch = released_batch(count=count, currency=currency)
    payouts = batch_payouts(batch)
    if before_booking:
        before_booking(payouts)
    book(batch, payouts)
    for payout in payouts:
        payout.refresh_from_db()
    return payouts


def statement_of(payout: Payout) -> PaymentStatement:
    return PaymentStatement.objects.get(payout=payout)


def return_payment(payout: Payout, batch_id: int):
    from payouts.models import PaymentBatch

    return give_back(PaymentBatch.objects.get(pk=batch_id), payout)
