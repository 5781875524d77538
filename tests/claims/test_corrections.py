"""Claims corrections (issue 17), the claim's side: a reversed approval, an
adjusted reward with four eyes on a raise, the numbers of a final rejection
freed, a withdrawal's page. Each: allowed and refused, its event and reason,
the company's notice in both languages. The payout's side is in
tests/payouts/test_corrections.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cashback.models import OutboxMessage
from claims.models import (
    Claim,
    ClaimAgreement,
    ClaimEvent,
    DuplicateAttempt,
    RewardAdjustment,
)
from claims.presentation import timeline
from claims.services import (
    ClaimError,
    claim_approval_reverse,
    claim_approve,
    claim_dispute,
    claim_reject,
    claim_reward_adjust,
    claim_reward_adjustment_confirm,
    claims_free_final_rejections,
)
from payouts.models import Payout
from tests.claims.factories import ClaimFactory, DuplicateAttemptFactory
from tests.resellers.factories import ResellerFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Claim.Status
P = Payout.Status


def approved(**kwargs) -> Claim:
    """A claim approved through the service, its company with a Swedish and an
    English reader; its payout opened."""
    claim = ClaimFactory(status=S.IN_REVIEW, **kwargs)
    UserFactory(reseller=claim.reseller, preferred_language="sv")
    claim_approve(claim=claim, actor=ReviewerFactory())
    claim.refresh_from_db()
    return claim


def notices(event) -> dict[str, OutboxMessage]:
    return {
        language: OutboxMessage.objects.get(
            dedup_key=f"claim-event:{event.pk}:{language}"
        )
        for language in ("en", "sv")
    }


def code(error) -> str:
    return error.code


def test_a_reversal_to_rejected_starts_a_new_dispute_window():
    claim = approved()
    claim_approval_reverse(
        claim=claim,
        actor=ReviewerFactory(),
        to=S.REJECTED,
        reason_code="not_sold_by_reseller",
        reason="",
    )
    claim.refresh_from_db()
    assert claim.status == S.REJECTED
    assert claim.decision_reason_code == "not_sold_by_reseller"
    assert claim.dispute_last_day is not None
    assert claim.payout.status == P.CANCELLED


def test_a_reversal_needs_a_reason_and_an_approved_claim():
    claim = approved()
    with pytest.raises(ClaimError) as refused:
        claim_approval_reverse(claim=claim, actor=ReviewerFactory(), reason_code="")
    assert code(refused.value) == "reason_required"
    with pytest.raises(ClaimError) as refused:
        claim_approval_reverse(
            claim=claim, actor=ReviewerFactory(), reason_code="other", reason=" "
        )
    assert code(refused.value) == "reason_required"
    # A rejection reason for "back to review" is not a correction reason.
    with pytest.raises(ClaimError):
        claim_approval_reverse(
            claim=claim, actor=ReviewerFactory(), reason_code="not_in_ledger"
        )
    in_review = ClaimFactory(status=S.IN_REVIEW)
    with pytest.raises(ClaimError) as refused:
        claim_approval_reverse(
            claim=in_review, actor=ReviewerFactory(), reason_code="decided_in_error"
        )
    assert code(refused.value) == "transition_not_allowed"
    claim.refresh_from_db()
    assert claim.status == S.APPROVED
    assert claim.payout.status == P.AWAITING_BANK_DETAILS


def test_only_reviewers_reverse_an_approval():
    claim = approved()
    with pytest.raises(ClaimError) as refused:
        claim_approval_reverse(
            claim=claim, actor=claim.submitted_by, reason_code="decided_in_error"
        )
    assert code(refused.value) == "forbidden"


def test_the_timeline_shows_the_computed_and_adjusted_amounts_and_the_reason():
    claim = approved()
    claim_reward_adjust(
        claim=claim,
        actor=ReviewerFactory(),
        amount=Decimal("750"),
        reason_code="calculation_error",
        reason="Seats counted twice.",
    )
    with translation.override("sv"):
        entry = timeline(claim)[-1]
    assert entry.words == "Ersättningen justerades."
    assert "Beräknad ersättning 1\xa0000,00\xa0kr" in entry.message
    assert "justerad ersättning 750,00\xa0kr" in entry.message
    assert "Ersättningen beräknades fel. Seats counted twice." in entry.message


def test_a_raise_waits_for_a_second_reviewer_not_the_same_one():
    claim = approved()
    first, second = ReviewerFactory(), ReviewerFactory()
    adjustment = claim_reward_adjust(
        claim=claim, actor=first, amount=Decimal("1200"), reason_code="new_information"
    )
    assert adjustment.status == RewardAdjustment.Status.PENDING
    claim.refresh_from_db()
    assert claim.adjusted_reward_amount is None
    assert claim.payout.amount == Decimal("1000.00")
    with pytest.raises(ClaimError) as refused:
        claim_reward_adjustment_confirm(adjustment=adjustment, actor=first)
    assert code(refused.value) == "four_eyes"
    claim.refresh_from_db()
    assert claim.adjusted_reward_amount is None
    claim_reward_adjustment_confirm(adjustment=adjustment, actor=second)
    adjustment.refresh_from_db()
    assert adjustment.status == RewardAdjustment.Status.APPLIED
    assert adjustment.confirmed_by == second
    claim.refresh_from_db()
    assert claim.adjusted_reward_amount == Decimal("1200.00")
    assert claim.payout.amount == Decimal("1200.00")
    with pytest.raises(ClaimError) as refused:
        claim_reward_adjustment_confirm(adjustment=adjustment, actor=ReviewerFactory())
    assert code(refused.value) == "not_pending"


def test_an_amount_above_the_configured_limit_needs_a_second_reviewer(settings):
    settings.REWARD_ADJUSTMENT_CONFIRM_ABOVE = "500"
    claim = approved()
    adjustment = claim_reward_adjust(
        claim=claim,
        actor=ReviewerFactory(),
        amount=Decimal("900"),  # a cut, but above the limit
        reason_code="calculation_error",
    )
    assert adjustment.status == RewardAdjustment.Status.PENDING


def test_an_adjustment_refuses_a_bad_amount_and_a_closed_claim():
    claim = ClaimFactory(status=S.IN_REVIEW)
    for bad in ("-1", "abc", "NaN"):
        with pytest.raises(ClaimError) as refused:
            claim_reward_adjust(
                claim=claim,
                actor=ReviewerFactory(),
                amount=bad,
                reason_code="calculation_error",
            )
        assert code(refused.value) == "invalid_amount"
    rejected = ClaimFactory(status=S.REJECTED)
    with pytest.raises(ClaimError) as refused:
        claim_reward_adjust(
            claim=rejected,
            actor=ReviewerFactory(),
            amount=Decimal("1"),
            reason_code="calculation_error",
        )
    assert code(refused.value) == "transition_not_allowed"


def test_the_numbers_of_a_final_rejection_are_freed_and_the_duplicate_flag_stays():
    now = timezone.now()
    final = ClaimFactory(
        status=S.REJECTED,
        decided_at=now - dt.timedelta(days=32),
        agreement_numbers=["V1000001"],
    )
    recent = ClaimFactory(
        status=S.REJECTED,
        decided_at=now - dt.timedelta(days=3),
        agreement_numbers=["V1000002"],
    )
    attempt = DuplicateAttemptFactory(existing_claim=final, offer=final.offer)
    assert claims_free_final_rejections(now=now) == 1
    assert not ClaimAgreement.objects.get(agreement_number="V1000001").is_active
    assert ClaimAgreement.objects.get(agreement_number="V1000002").is_active
    assert final.events.filter(kind=ClaimEvent.Kind.NUMBERS_FREED).count() == 1
    assert DuplicateAttempt.objects.filter(pk=attempt.pk).exists()
    # The company that sold it can now claim the number on the same offer.
    seller = ClaimFactory(
        offer=final.offer, reseller=ResellerFactory(), agreement_numbers=["V1000001"]
    )
    assert seller.agreements.get().is_active
    assert claims_free_final_rejections(now=now) == 0  # once
    assert recent.agreements.get().is_active


def test_a_rejection_after_a_dispute_frees_the_numbers_at_once():
    claim = ClaimFactory(status=S.IN_REVIEW, agreement_numbers=["V2000001"])
    claim_reject(claim=claim, actor=ReviewerFactory(), reason_code="not_in_ledger")
    assert claim.agreements.get().is_active  # the company may still dispute
    claim_dispute(claim=claim, user=claim.submitted_by, comment="It is there.")
    claim_reject(claim=claim, actor=ReviewerFactory(), reason_code="not_in_ledger")
    assert not claim.agreements.get().is_active


def test_withdrawal_asks_on_its_own_page_and_says_what_happens(client, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+01:00", tick=False)
    claim = ClaimFactory(agreement_numbers=["V3000001"])
    client.force_login(claim.submitted_by)
    url = reverse("claims:withdraw", args=[claim.reference])
    page = client.get(url).content.decode()
    assert "V3000001" in page
    assert "become free again" in page
    assert "You can file a new claim" in page
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED  # asking changes nothing
    response = client.post(url)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == S.WITHDRAWN


def test_withdrawal_says_no_new_claim_once_the_window_closed(client, time_machine):
    claim = ClaimFactory(agreement_numbers=["V3000002"])
    time_machine.move_to(
        dt.datetime.combine(
            claim.offer.claim_closes_on + dt.timedelta(days=1),
            dt.time(12),
            tzinfo=dt.UTC,
        ),
        tick=False,
    )
    client.force_login(claim.submitted_by)
    page = client.get(reverse("claims:withdraw", args=[claim.reference]))
    assert "no new claim can be filed" in page.content.decode()


def test_a_reviewer_reverses_an_approval_from_the_claims_page(client):
    claim = approved()
    reviewer = ReviewerFactory()
    client.force_login(reviewer)
    url = reverse("admin:claims_claim_act", args=[claim.pk])
    form = client.post(url, {"action": "reverse_approval"})
    assert b"decided_in_error" in form.content
    client.post(
        url,
        {
            "action": "reverse_approval",
            "_selected_action": [claim.pk],
            "confirm": "yes",
            "to": "in_review",
            "reason": "decided_in_error",
            "details": "",
        },
    )
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW
