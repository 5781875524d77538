"""Correcting a draft batch (R21): a payout taken out, the batch cancelled; a
released batch cannot change."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from cashback.models import OutboxMessage
from payouts.models import BatchChangeReason, PaymentBatch, Payout, PayoutEvent
from payouts.services import (
    PayoutError,
    batch_cancel,
    batch_create,
    batch_payout_remove,
    batch_release,
)
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

DOUBT = BatchChangeReason.DETAILS_IN_DOUBT


def draft(operator, count=2):
    payouts = [scheduled_payout() for _ in range(count)]
    return batch_create(currency="SEK", payouts=payouts, operator=operator), payouts


def test_a_payout_taken_out_of_a_draft_batch_stays_scheduled(operators):
    """Out of the batch, still scheduled, the total follows, the event says why."""
    builder, other = operators
    batch, (kept, removed) = draft(builder)
    batch_payout_remove(
        payout=removed, operator=other, reason_code=DOUBT, reason="IBAN query"
    )
    removed.refresh_from_db()
    batch.refresh_from_db()
    assert removed.batch_id is None and removed.status == Payout.Status.SCHEDULED
    assert batch.status == PaymentBatch.Status.DRAFT
    assert batch.total_amount == kept.payout_amount
    event = PayoutEvent.objects.get(payout=removed, kind=PayoutEvent.Kind.UNBATCHED)
    assert event.actor == other and event.to_status == Payout.Status.SCHEDULED
    assert event.message == "Bank details to be checked. IBAN query"
    # Free for a later batch, and the released draft pays only what stayed in.
    released = batch_release(batch=batch, operator=other)
    assert released.payment_file_xml().count("<CdtTrfTxInf>") == 1
    assert batch_create(currency="SEK", payouts=[removed], operator=builder)


def test_a_cancelled_draft_batch_frees_its_payouts(operators):
    """Every payout back to scheduled outside a batch; the batch keeps who and why."""
    builder, other = operators
    batch, payouts = draft(builder)
    outbox_before = OutboxMessage.objects.count()
    cancelled = batch_cancel(
        batch=batch, operator=other, reason_code=BatchChangeReason.BUILT_BY_MISTAKE
    )
    assert cancelled.status == PaymentBatch.Status.CANCELLED
    assert (cancelled.cancelled_by, cancelled.cancel_reason_code) == (
        other,
        BatchChangeReason.BUILT_BY_MISTAKE,
    )
    assert cancelled.total_amount == 0
    for payout in payouts:
        payout.refresh_from_db()
        assert payout.batch_id is None and payout.status == Payout.Status.SCHEDULED
    events = PayoutEvent.objects.filter(kind=PayoutEvent.Kind.UNBATCHED)
    assert sorted(events.values_list("payout_id", flat=True)) == sorted(
        p.pk for p in payouts
    )
    assert set(events.values_list("message", flat=True)) == {"Batch built by mistake"}
    # The company's payout did not change for it: nothing is e-mailed.
    assert OutboxMessage.objects.count() == outbox_before
    with pytest.raises(PayoutError) as refused:
        batch_release(batch=cancelled, operator=other)
    assert refused.value.code == PayoutError.Code.BATCH_RELEASED


def test_the_builder_may_correct_their_own_draft(operators):
    """Four eyes guards the release, not a correction that pays nothing."""
    builder, _ = operators
    batch, _payouts = draft(builder, count=1)
    assert batch_cancel(batch=batch, operator=builder, reason_code=DOUBT).status == (
        PaymentBatch.Status.CANCELLED
    )


def test_a_released_batch_cannot_change(operators):
    """Neither a payout taken out nor the batch cancelled once it is with the bank."""
    builder, releaser = operators
    batch, (payout, _other) = draft(builder)
    batch_release(batch=batch, operator=releaser)
    with pytest.raises(PayoutError) as removing:
        batch_payout_remove(payout=payout, operator=releaser, reason_code=DOUBT)
    with pytest.raises(PayoutError) as cancelling:
        batch_cancel(batch=batch, operator=releaser, reason_code=DOUBT)
    assert removing.value.code == cancelling.value.code == "batch_released"
    assert "only a draft batch can be changed" in str(cancelling.value)
    payout.refresh_from_db()
    batch.refresh_from_db()
    assert payout.batch_id == batch.pk and payout.status == Payout.Status.IN_BATCH
    assert batch.status == PaymentBatch.Status.RELEASED
    assert not PayoutEvent.objects.filter(kind=PayoutEvent.Kind.UNBATCHED).exists()


def test_a_payout_in_no_batch_is_refused(operators):
    payout = scheduled_payout()
    with pytest.raises(PayoutError) as refused:
        batch_payout_remove(payout=payout, operator=operators[0], reason_code=DOUBT)
    assert refused.value.code == PayoutError.Code.NOT_IN_BATCH


def test_a_reason_is_required(operators):
    """No code, or "other" without words: refused on the reason, nothing written."""
    batch, (payout, _) = draft(operators[0])
    for code, words in [("", "because"), (BatchChangeReason.OTHER, "  ")]:
        with pytest.raises(PayoutError) as refused:
            batch_cancel(
                batch=batch, operator=operators[1], reason_code=code, reason=words
            )
        assert refused.value.code == PayoutError.Code.REASON_REQUIRED
        with pytest.raises(PayoutError):
            batch_payout_remove(
                payout=payout, operator=operators[1], reason_code=code, reason=words
            )
    batch.refresh_from_db()
    payout.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT and payout.batch_id == batch.pk


def test_the_reason_reads_in_swedish_for_a_swedish_operator(operators):
    _batch, (payout, _) = draft(operators[0])
    with translation.override("sv"):
        batch_payout_remove(
            payout=payout, operator=operators[1], reason_code=DOUBT, reason="Kolla"
        )
    event = PayoutEvent.objects.get(kind=PayoutEvent.Kind.UNBATCHED)
    assert event.message == "Bankuppgifterna ska kontrolleras. Kolla"


def operator_client(client):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Operators"))
    client.force_login(user)
    return user


def test_operators_cancel_a_draft_batch_in_admin_with_a_reason(client, operators):
    """The action asks for the reason on its own page, then cancels."""
    batch, _payouts = draft(operators[0])
    operator = operator_client(client)
    url = reverse("admin:payouts_paymentbatch_changelist")
    form = client.post(url, {"action": "cancel_batch", "_selected_action": [batch.pk]})
    assert form.status_code == 200 and b'name="reason_code"' in form.content
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
    client.post(
        url,
        {
            "action": "cancel_batch",
            "_selected_action": [batch.pk],
            "apply": "1",
            "reason_code": BatchChangeReason.OTHER,
            "reason": "Wrong execution date",
        },
    )
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CANCELLED
    assert batch.cancelled_by == operator and batch.cancel_reason == (
        "Wrong execution date"
    )


def test_operators_take_a_payout_out_in_admin(client, operators):
    _batch, (payout, _) = draft(operators[0])
    operator_client(client)
    client.post(
        reverse("admin:payouts_payout_changelist"),
        {
            "action": "remove_from_batch",
            "_selected_action": [payout.pk],
            "apply": "1",
            "reason_code": BatchChangeReason.WRONG_AMOUNT,
            "reason": "",
        },
    )
    payout.refresh_from_db()
    assert payout.batch_id is None


def test_staff_without_the_permission_cannot_cancel(client, operators):
    """A reviewer (not an operator) has no such action: the batch stays a draft."""
    batch, _ = draft(operators[0])
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(user)
    client.post(
        reverse("admin:payouts_paymentbatch_changelist"),
        {
            "action": "cancel_batch",
            "_selected_action": [batch.pk],
            "apply": "1",
            "reason_code": DOUBT,
        },
    )
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
