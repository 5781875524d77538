"""Corrections (issue 17), the payout's side: a reversed approval or an
adjusted reward the payout follows or refuses (the payment is with the
bank), a cancelled payout. The claim's side is in
tests/claims/test_corrections.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cashback.models import OutboxMessage
from claims.models import (
    Claim,
    ClaimEvent,
    RewardAdjustment,
)
from claims.services import (
    ClaimError,
    claim_approval_reverse,
    claim_approve,
    claim_reward_adjust,
)
from payouts.models import PaymentBatch, Payout, PayoutEvent
from payouts.services import (
    PayoutError,
    batch_create,
    batch_release,
    payout_cancel,
    payouts_send_reminders,
)
from tests.claims.test_corrections import approved, code, notices
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import ReviewerFactory

pytestmark = pytest.mark.django_db
S = Claim.Status
P = Payout.Status


# Reversing an approval ----------------------------------------------------------


def test_a_reversed_approval_goes_back_to_review_and_cancels_the_payout():
    claim = approved()
    reviewer = ReviewerFactory()
    claim_approval_reverse(
        claim=claim,
        actor=reviewer,
        reason_code="decided_in_error",
        reason="The sale belongs to another offer.",
    )
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW
    assert claim.payout.status == P.CANCELLED
    event = claim.events.get(kind=ClaimEvent.Kind.APPROVAL_REVERSED)
    assert (event.from_status, event.to_status) == (S.APPROVED, S.IN_REVIEW)
    assert event.actor == reviewer
    assert event.reason_code == "decided_in_error"
    assert event.message == "The sale belongs to another offer."
    cancelled = claim.payout.events.get(kind=PayoutEvent.Kind.CANCELLED)
    assert cancelled.reason_code == "decided_in_error"
    mails = notices(event)
    assert "The decision was made in error" in mails["en"].text_body
    assert "The approval of your claim was reversed" in mails["en"].text_body
    assert "Beslutet fattades av misstag" in mails["sv"].text_body
    assert "Godkännandet av ditt anspråk har återkallats" in mails["sv"].text_body
    # The claim's e-mail tells the company; the payout sends no second one.
    assert not OutboxMessage.objects.filter(dedup_key__contains=":cancelled:").exists()


def test_a_reversal_after_the_release_is_refused_the_payment_is_with_the_bank(
    operators,
):
    payout = scheduled_payout()
    builder, releaser = operators
    batch = batch_create(currency="SEK", payouts=[payout], operator=builder)
    batch_release(batch=batch, operator=releaser)
    with pytest.raises(ClaimError) as refused:
        claim_approval_reverse(
            claim=payout.claim, actor=ReviewerFactory(), reason_code="decided_in_error"
        )
    assert code(refused.value) == "batch_released"
    assert "already with the bank" in str(refused.value)
    payout.refresh_from_db()
    assert payout.status == P.IN_BATCH
    assert Claim.objects.get(pk=payout.claim_id).status == S.APPROVED
    assert not ClaimEvent.objects.filter(kind=ClaimEvent.Kind.APPROVAL_REVERSED)


def test_a_reversal_takes_the_payout_out_of_its_draft_batch(operators):
    kept, reversed_ = scheduled_payout(), scheduled_payout()
    builder, releaser = operators
    batch = batch_create(currency="SEK", payouts=[kept, reversed_], operator=builder)
    claim_approval_reverse(
        claim=reversed_.claim, actor=ReviewerFactory(), reason_code="decided_in_error"
    )
    reversed_.refresh_from_db()
    assert reversed_.status == P.CANCELLED
    assert reversed_.batch is None
    batch = batch_release(batch=batch, operator=releaser)
    assert batch.total_amount == kept.payout_amount
    assert reversed_.claim.reference not in batch.payment_file_xml()
    assert kept.claim.reference in batch.payment_file_xml()


def test_approved_again_after_a_reversal_the_payout_opens_a_new_cycle():
    claim = approved()
    claim_approval_reverse(
        claim=claim, actor=ReviewerFactory(), reason_code="calculation_error"
    )
    claim_reward_adjust(
        claim=claim,
        actor=ReviewerFactory(),
        amount=Decimal("600"),
        reason_code="calculation_error",
    )
    claim_approve(claim=claim, actor=ReviewerFactory())
    payout = Payout.objects.get(claim=claim)
    assert payout.status == P.AWAITING_BANK_DETAILS
    assert payout.cycle == 2
    assert payout.amount == Decimal("600.00")


# Adjusting a reward ---------------------------------------------------------------


def test_a_cut_applies_at_once_and_the_payout_follows():
    claim = approved()
    reviewer = ReviewerFactory()
    adjustment = claim_reward_adjust(
        claim=claim,
        actor=reviewer,
        amount=Decimal("750.00"),
        reason_code="currency_conversion",
        reason="Revenue in EUR converted at the calculation date's rate.",
    )
    assert adjustment.status == RewardAdjustment.Status.APPLIED
    claim.refresh_from_db()
    assert claim.reward_amount == Decimal("1000.00")  # computed, kept
    assert claim.adjusted_reward_amount == Decimal("750.00")
    assert claim.payout.amount == Decimal("750.00")
    adjusted = claim.payout.events.get(kind=PayoutEvent.Kind.AMOUNT_ADJUSTED)
    # Money as people read it (issue 28), not "1000.00 -> 750.00 SEK".
    assert adjusted.message == "SEK\xa01,000.00 -> SEK\xa0750.00"
    event = claim.events.get(kind=ClaimEvent.Kind.REWARD_ADJUSTED)
    assert (event.computed_amount, event.adjusted_amount) == (
        Decimal("1000.00"),
        Decimal("750.00"),
    )
    mails = notices(event)
    assert "Computed reward" in mails["en"].text_body
    assert "Beräknad ersättning" in mails["sv"].text_body
    assert "Intäkt i en annan valuta har räknats om" in mails["sv"].text_body


def test_an_adjustment_is_refused_once_the_payment_is_with_the_bank(operators):
    payout = scheduled_payout()
    builder, releaser = operators
    batch = batch_create(currency="SEK", payouts=[payout], operator=builder)
    batch_release(batch=batch, operator=releaser)
    with pytest.raises(ClaimError) as refused:
        claim_reward_adjust(
            claim=payout.claim,
            actor=ReviewerFactory(),
            amount=Decimal("10"),
            reason_code="calculation_error",
        )
    assert code(refused.value) == "batch_released"
    assert Claim.objects.get(pk=payout.claim_id).adjusted_reward_amount is None
    assert not RewardAdjustment.objects.exists()


# Cancelling a payout ---------------------------------------------------------


def test_an_operator_cancels_a_payout_and_the_company_is_told_why():
    claim = approved()
    operator = ReviewerFactory()
    payout_cancel(
        payout=claim.payout,
        actor=operator,
        reason_code="duplicate_payment",
        reason="Paid with the credit note 77.",
    )
    payout = Payout.objects.get(pk=claim.payout.pk)
    assert payout.status == P.CANCELLED
    event = payout.events.get(kind=PayoutEvent.Kind.CANCELLED)
    assert (event.actor, event.reason_code, event.message) == (
        operator,
        "duplicate_payment",
        "Paid with the credit note 77.",
    )
    en = OutboxMessage.objects.get(dedup_key=f"payout:{payout.pk}:cancelled:en")
    sv = OutboxMessage.objects.get(dedup_key=f"payout:{payout.pk}:cancelled:sv")
    assert "The reward is paid another way" in en.text_body
    assert "Ersättningen betalas på annat sätt" in sv.text_body
    assert "är avbruten" in sv.subject


def test_a_cancelled_payout_never_enters_a_batch_and_gets_no_reminder(operators):
    payout = scheduled_payout()
    payout_cancel(payout=payout, actor=operators[0], reason_code="decided_in_error")
    with pytest.raises(PayoutError) as refused:
        batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    assert refused.value.code == PayoutError.Code.NOT_SCHEDULED
    waiting = approved().payout
    payout_cancel(payout=waiting, actor=operators[0], reason_code="decided_in_error")
    Payout.objects.filter(pk=waiting.pk).update(
        notified_at=timezone.now() - dt.timedelta(days=60),
        bank_details_due_at=timezone.now() - dt.timedelta(days=1),
    )
    payouts_send_reminders(now=timezone.now())
    waiting.refresh_from_db()
    assert waiting.status == P.CANCELLED
    assert not waiting.reminders.exists()


def test_a_payout_with_the_bank_cannot_be_cancelled(operators):
    payout = scheduled_payout()
    batch = batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    batch_release(batch=batch, operator=operators[1])
    with pytest.raises(PayoutError) as refused:
        payout_cancel(
            payout=payout, actor=operators[0], reason_code="other", reason="x"
        )
    assert refused.value.code == PayoutError.Code.BATCH_RELEASED
    payout.refresh_from_db()
    assert payout.status == P.IN_BATCH
    assert PaymentBatch.objects.get().status == PaymentBatch.Status.RELEASED


def test_an_approval_can_be_reversed_after_an_operator_cancelled_its_payout(
    operators,
):
    claim = approved()
    payout_cancel(
        payout=claim.payout, actor=operators[0], reason_code="other", reason="x"
    )
    claim_approval_reverse(
        claim=claim, actor=ReviewerFactory(), reason_code="decided_in_error"
    )
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW
    assert claim.payout.events.filter(kind=PayoutEvent.Kind.CANCELLED).count() == 1


def test_cancelling_needs_a_reason(operators):
    payout = approved().payout
    with pytest.raises(PayoutError) as refused:
        payout_cancel(payout=payout, actor=operators[0], reason_code="")
    assert refused.value.code == PayoutError.Code.REASON_REQUIRED
    with pytest.raises(PayoutError):
        payout_cancel(payout=payout, actor=operators[0], reason_code="other")
    payout.refresh_from_db()
    assert payout.status == P.AWAITING_BANK_DETAILS


# Freeing the numbers of a final rejection -------------------------------------


# Withdrawal asks first -------------------------------------------------------


# In admin --------------------------------------------------------------------


def test_operators_cancel_a_payout_in_admin_after_giving_a_reason(client):
    from django.contrib.auth.models import Group

    payout = approved().payout
    operator = ReviewerFactory()
    operator.groups.add(Group.objects.get(name="Operators"))
    client.force_login(operator)
    url = reverse("admin:payouts_payout_changelist")
    form = client.post(url, {"action": "cancel", "_selected_action": [payout.pk]})
    assert b"reason_code" in form.content
    payout.refresh_from_db()
    assert payout.status == P.AWAITING_BANK_DETAILS  # asking changes nothing
    client.post(
        url,
        {
            "action": "cancel",
            "_selected_action": [payout.pk],
            "apply": "1",
            "reason_code": "duplicate_payment",
            "reason": "Paid by credit note.",
        },
    )
    payout.refresh_from_db()
    assert payout.status == P.CANCELLED
