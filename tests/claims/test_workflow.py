"""The review workflow: every allowed transition, every refused one, e-mails."""

import datetime as dt

import pytest
from django.core import mail

from claims.models import Claim, ClaimAgreement, ClaimEvent
from claims.services import (
    ClaimError,
    claim_approve,
    claim_dispute,
    claim_reject,
    claim_request_invoice,
    claim_start_review,
    claim_withdraw,
)
from claims.signals import claim_approved
from tests.claims.factories import ClaimFactory
from tests.resellers.factories import ReviewerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Claim.Status


@pytest.fixture
def claim(user):
    return ClaimFactory(
        reseller=user.reseller, submitted_by=user, agreement_numbers=["87000001"]
    )


def code(error: ClaimError) -> str:
    return next(iter(error.error_dict.values()))[0].code


def kinds(claim: Claim) -> list[str]:
    return list(claim.events.values_list("kind", flat=True))


def test_start_review_moves_to_in_review_and_emails(
    claim, reviewer, user, django_capture_on_commit_callbacks
):
    """submitted -> in_review, with an event and an e-mail to the company."""
    with django_capture_on_commit_callbacks(execute=True):
        claim_start_review(claim=claim, actor=reviewer)
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW
    assert claim.reviewer == reviewer
    assert kinds(claim) == ["review_started"]
    assert mail.outbox[0].to == [user.email]
    assert claim.get_absolute_url() in mail.outbox[0].body


def test_emails_follow_each_users_language(
    claim, reviewer, user, django_capture_on_commit_callbacks
):
    """A Swedish-speaking colleague gets the Swedish message, apart."""
    colleague = UserFactory(reseller=user.reseller, preferred_language="sv")
    with django_capture_on_commit_callbacks(execute=True):
        claim_start_review(claim=claim, actor=reviewer)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([user.email, colleague.email])


def test_request_invoice_then_upload_returns_to_review(claim, reviewer):
    """in_review -> info_requested with the reviewer's message (upload: see uploads)."""
    claim_request_invoice(claim=claim, actor=reviewer, message="Send invoice 4711.")
    claim.refresh_from_db()
    assert claim.status == S.INFO_REQUESTED
    assert kinds(claim) == ["review_started", "invoice_requested"]
    assert claim.events.last().message == "Send invoice 4711."


def test_request_invoice_needs_a_message(claim, reviewer):
    with pytest.raises(ClaimError) as refused:
        claim_request_invoice(claim=claim, actor=reviewer, message="  ")
    assert code(refused.value) == "message_required"
    assert Claim.objects.get().status == S.SUBMITTED


def test_approve_sends_the_signal_inside_the_transaction(claim, reviewer):
    """Approval records the reviewer, the time and tells payouts."""
    received = []

    def receiver(sender, claim, actor, **kwargs):
        received.append((claim.pk, claim.status, actor))

    claim_approved.connect(receiver)
    try:
        claim_approve(claim=claim, actor=reviewer)
    finally:
        claim_approved.disconnect(receiver)
    claim.refresh_from_db()
    assert claim.status == S.APPROVED and claim.decided_at and claim.reviewer
    assert received == [(claim.pk, S.APPROVED, reviewer)]
    assert kinds(claim) == ["review_started", "approved"]


def test_a_failing_receiver_undoes_the_approval(claim, reviewer):
    """Never half-done: if the payout cannot open, the claim stays as it was."""

    def broken(**kwargs):
        raise RuntimeError("payouts down")

    claim_approved.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            claim_approve(claim=claim, actor=reviewer)
    finally:
        claim_approved.disconnect(broken)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    assert not claim.events.exists()


def test_reject_needs_a_reason_and_records_it(claim, reviewer):
    with pytest.raises(ClaimError) as refused:
        claim_reject(claim=claim, actor=reviewer, reason_code="other", reason="")
    assert code(refused.value) == "reason_required"
    claim_reject(
        claim=claim,
        actor=reviewer,
        reason_code="other",
        reason="Sold before the period.",
    )
    claim.refresh_from_db()
    assert claim.status == S.REJECTED
    assert claim.decision_reason == "Sold before the period."


def test_a_reseller_user_cannot_review(claim, user):
    """Reviewer actions need staff."""
    with pytest.raises(ClaimError) as refused:
        claim_approve(claim=claim, actor=user)
    assert code(refused.value) == "forbidden"


@pytest.mark.parametrize("status", [S.APPROVED, S.REJECTED, S.WITHDRAWN])
def test_decided_claims_cannot_be_decided_again(user, reviewer, status):
    """A transition that is not allowed is refused with a message."""
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user, status=status)
    for action in (
        lambda: claim_approve(claim=claim, actor=reviewer),
        lambda: claim_start_review(claim=claim, actor=reviewer),
        lambda: claim_request_invoice(claim=claim, actor=reviewer, message="x"),
        lambda: claim_withdraw(claim=claim, user=user),
    ):
        with pytest.raises(ClaimError) as refused:
            action()
        assert code(refused.value) == "transition_not_allowed"
        assert claim.reference in refused.value.messages[0]
    assert Claim.objects.get().status == status
    assert not ClaimEvent.objects.exists()


def test_reject_is_refused_after_approval(user, reviewer):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user, status=S.APPROVED)
    with pytest.raises(ClaimError):
        claim_reject(
            claim=claim, actor=reviewer, reason_code="other", reason="Changed my mind"
        )


@pytest.mark.parametrize("status", [S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED])
def test_withdraw_before_a_decision_frees_the_numbers(user, status):
    claim = ClaimFactory(
        reseller=user.reseller,
        submitted_by=user,
        status=status,
        agreement_numbers=["87000001"],
    )
    claim_withdraw(claim=claim, user=user)
    claim.refresh_from_db()
    assert claim.status == S.WITHDRAWN
    assert not ClaimAgreement.objects.filter(is_active=True).exists()


def test_another_company_cannot_withdraw(claim):
    with pytest.raises(ClaimError) as refused:
        claim_withdraw(claim=claim, user=UserFactory())
    assert code(refused.value) == "forbidden"
    assert Claim.objects.get().status == S.SUBMITTED


@pytest.fixture
def rejected(claim, reviewer, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    claim_reject(claim=claim, actor=reviewer, reason_code="other", reason="No invoice.")
    claim.refresh_from_db()
    return claim


def test_dispute_within_30_days_then_reviewer_decides(rejected, user, time_machine):
    """rejected -> disputed -> approved, on day 30, by another reviewer than
    the one who rejected it."""
    time_machine.move_to(rejected.decided_at + dt.timedelta(days=30), tick=False)
    claim_dispute(claim=rejected, user=user, comment="Here is why.")
    rejected.refresh_from_db()
    assert rejected.status == S.DISPUTED and rejected.disputed_at
    claim_approve(claim=rejected, actor=ReviewerFactory())
    assert Claim.objects.get().status == S.APPROVED


def test_disputed_claim_can_be_rejected_again_and_not_disputed_twice(rejected, user):
    """Once only."""
    claim_dispute(claim=rejected, user=user, comment="Please look again.")
    claim_reject(
        claim=rejected,
        actor=ReviewerFactory(),
        reason_code="other",
        reason="Still no invoice.",
    )
    with pytest.raises(ClaimError) as refused:
        claim_dispute(claim=rejected, user=user, comment="Again!")
    assert code(refused.value) == "already_disputed"


def test_dispute_after_30_days_is_refused(rejected, user, time_machine):
    """The window's last day is whole: refused from the midnight after it."""
    rejected.refresh_from_db()
    time_machine.move_to(rejected.dispute_until, tick=False)
    with pytest.raises(ClaimError) as refused:
        claim_dispute(claim=rejected, user=user, comment="Late.")
    assert code(refused.value) == "dispute_too_late"
    assert Claim.objects.get().status == S.REJECTED


def test_dispute_needs_a_comment(rejected, user):
    with pytest.raises(ClaimError) as refused:
        claim_dispute(claim=rejected, user=user, comment="")
    assert code(refused.value) == "comment_required"


def test_only_a_rejection_can_be_disputed(claim, user):
    with pytest.raises(ClaimError) as refused:
        claim_dispute(claim=claim, user=user, comment="Why?")
    assert code(refused.value) == "transition_not_allowed"


@pytest.mark.parametrize("reward", [None, 0])
def test_a_claim_with_nothing_to_pay_cannot_be_approved(user, reviewer, reward):
    """Approval opens a payout; with no computed reward it is refused, unchanged."""
    claim = ClaimFactory(
        reseller=user.reseller, submitted_by=user, reward_amount=reward
    )
    with pytest.raises(ClaimError) as refused:
        claim_approve(claim=claim, actor=reviewer)
    assert code(refused.value) == "no_reward"
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    assert not claim.events.filter(kind=ClaimEvent.Kind.APPROVED).exists()


@pytest.mark.parametrize(
    "act",
    [
        lambda claim, actor: claim_start_review(claim=claim, actor=actor),
        lambda claim, actor: claim_approve(claim=claim, actor=actor),
        lambda claim, actor: claim_reject(
            claim=claim, actor=actor, reason_code="other", reason="No."
        ),
        lambda claim, actor: claim_request_invoice(
            claim=claim, actor=actor, message="Send it."
        ),
    ],
)
def test_staff_without_the_review_permission_is_refused(act):
    """The service checks claims.review_claim, as admin does, not only is_staff."""
    claim = ClaimFactory()
    with pytest.raises(ClaimError) as caught:
        act(claim, StaffUserFactory())
    assert caught.value.error_dict["__all__"][0].code == "forbidden"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert not ClaimEvent.objects.filter(claim=claim).exists()
