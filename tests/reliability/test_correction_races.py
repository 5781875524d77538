"""A correction racing a batch release on PostgreSQL (issue 17): threads with
their own connections, released at one barrier (the pattern of
test_concurrency.py). Whatever the order, exactly one of the two wins."""

import itertools
import threading

import pytest

from claims.models import Claim
from claims.services import ClaimError, claim_approval_reverse
from payouts.models import PaymentBatch, Payout
from payouts.services import PayoutError, batch_create, batch_release, payout_cancel
from tests.payouts.test_batches import scheduled_payout
from tests.reliability.test_concurrency import run_together
from tests.resellers.factories import ReviewerFactory, StaffUserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*works):
    """Run each of `works` in its own thread, all released at one barrier."""
    turn = itertools.count()
    lock = threading.Lock()

    def work():
        with lock:
            index = next(turn)
        return index, works[index]()

    results = run_together(len(works), work)
    by_index = {}
    for result in results:
        assert isinstance(result, tuple), result  # no deadlock, no other error
        by_index[result[0]] = result[1]
    return [by_index[i] for i in range(len(works))]


def outcome(call):
    def run():
        try:
            return call()
        except (ClaimError, PayoutError) as error:
            return error

    return run


@pytest.mark.parametrize("attempt", range(4))
def test_a_reversal_racing_a_release_leaves_exactly_one_outcome(attempt):
    """Either the batch goes to the bank with the payout and the reversal is
    refused, or the reversal cancels the payout and the batch goes without it;
    never a cancelled payout in a released file."""
    builder, releaser = StaffUserFactory(), StaffUserFactory()
    raced, other = scheduled_payout(), scheduled_payout()
    batch = batch_create(currency="SEK", payouts=[raced, other], operator=builder)
    reviewer = ReviewerFactory()
    released, reversed_ = race(
        outcome(lambda: batch_release(batch=batch, operator=releaser)),
        outcome(
            lambda: claim_approval_reverse(
                claim=raced.claim, actor=reviewer, reason_code="decided_in_error"
            )
        ),
    )
    assert isinstance(released, PaymentBatch), released  # the other payout goes
    raced.refresh_from_db()
    batch.refresh_from_db()
    claim = Claim.objects.get(pk=raced.claim_id)
    if isinstance(reversed_, ClaimError):
        assert reversed_.code == PayoutError.Code.BATCH_RELEASED
        assert raced.status == Payout.Status.IN_BATCH
        assert claim.status == Claim.Status.APPROVED
        assert raced.claim.reference in batch.payment_file_xml()
    else:
        assert raced.status == Payout.Status.CANCELLED
        assert raced.batch_id is None
        assert claim.status == Claim.Status.IN_REVIEW
        assert raced.claim.reference not in batch.payment_file_xml()
    assert batch.total_amount == sum(
        p.payout_amount for p in Payout.objects.filter(batch=batch)
    )


def test_an_operator_cancel_racing_a_release_leaves_exactly_one_outcome():
    builder, releaser = StaffUserFactory(), StaffUserFactory()
    raced, other = scheduled_payout(), scheduled_payout()
    batch = batch_create(currency="SEK", payouts=[raced, other], operator=builder)
    released, cancelled = race(
        outcome(lambda: batch_release(batch=batch, operator=releaser)),
        outcome(
            lambda: payout_cancel(
                payout=raced, actor=builder, reason_code="decided_in_error"
            )
        ),
    )
    assert isinstance(released, PaymentBatch), released
    raced.refresh_from_db()
    if isinstance(cancelled, PayoutError):
        assert cancelled.code == PayoutError.Code.BATCH_RELEASED
        assert raced.status == Payout.Status.IN_BATCH
    else:
        assert raced.status == Payout.Status.CANCELLED
        assert raced.batch_id is None
