"""A draft batch's correction racing its release on PostgreSQL: exactly one
of them happens."""

import pytest

from payouts.models import BatchChangeReason, PaymentBatch, Payout, PayoutEvent
from payouts.services import (
    PayoutError,
    batch_cancel,
    batch_create,
    batch_payout_remove,
    batch_release,
)
from tests.payouts.test_batches import scheduled_payout
from tests.reliability.test_concurrency import run_together
from tests.resellers.factories import StaffUserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("correction", ["cancel", "remove"])
def test_a_correction_racing_a_release_leaves_one_outcome(correction):
    """Cancel (or take out) and release at once: the file pays the payout and
    nothing was taken out, or the payout is out and no file pays it."""
    builder, releaser, corrector = (StaffUserFactory() for _ in range(3))
    payout = scheduled_payout()
    batch = batch_create(currency="SEK", payouts=[payout], operator=builder)
    turn = iter(["release", correction])

    def work():
        step = next(turn)
        if step == "release":
            return batch_release(batch=batch, operator=releaser)
        if step == "cancel":
            return batch_cancel(
                batch=batch,
                operator=corrector,
                reason_code=BatchChangeReason.BUILT_BY_MISTAKE,
            )
        return batch_payout_remove(
            payout=payout,
            operator=corrector,
            reason_code=BatchChangeReason.DETAILS_IN_DOUBT,
        )

    results = run_together(2, work)
    refused = [r for r in results if isinstance(r, PayoutError)]
    done = [r for r in results if isinstance(r, PaymentBatch)]
    batch.refresh_from_db()
    payout.refresh_from_db()
    taken_out = PayoutEvent.objects.filter(kind=PayoutEvent.Kind.UNBATCHED).count()
    if batch.status == PaymentBatch.Status.RELEASED:
        # The release won: the correction was refused, the file pays the payout.
        assert len(done) == 1 and len(refused) == 1, results
        assert payout.status == Payout.Status.IN_BATCH and taken_out == 0
        assert batch.payment_file_xml().count("<CdtTrfTxInf>") == 1
    else:
        # The correction won: no file, the payout is scheduled outside the batch.
        assert len(done) == 1 and len(refused) == 1, results
        assert not batch.payment_file and batch.released_at is None
        assert payout.status == Payout.Status.SCHEDULED and payout.batch_id is None
        assert taken_out == 1
