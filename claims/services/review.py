"""The review workflow: a reviewer takes a claim, asks for an invoice copy,
approves or rejects it; the company sends the copy, withdraws or disputes.
Each is one transaction on the locked claim (`transitions`)."""

import datetime as dt
import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cashback.tasks_util import enqueue_after_commit
from resellers.models import User

from ..models import (
    DISPUTE_WINDOW_DAYS,
    Claim,
    ClaimEvent,
    InvoiceDocument,
    RejectionReason,
)
from ..signals import claim_approved
from ..uploads import invoice_file_check
from .access import require_impartial, require_member, require_reviewer
from .corrections import claim_numbers_free
from .errors import ClaimError
from .transitions import S, claim_lock, claim_move
from .validating import VALIDATE_TASK


def claim_can_dispute(claim: Claim, now: dt.datetime | None = None) -> bool:
    """Whether the rejection can still be disputed: until the end of its last
    whole day in the program's time zone (Claim.dispute_until, exclusive)."""
    until = claim.dispute_until
    return until is not None and (now or timezone.now()) < until


def _review_if_new(claim: Claim, actor: User) -> None:
    if claim.status == S.SUBMITTED:
        claim.reviewer = actor
        claim_move(
            claim,
            to=S.IN_REVIEW,
            kind=ClaimEvent.Kind.REVIEW_STARTED,
            actor=actor,
            fields=["reviewer"],
            notify=False,
        )


def claim_start_review(*, claim: Claim, actor: User) -> Claim:
    """A reviewer takes the claim: submitted -> in review."""
    require_reviewer(actor)
    with transaction.atomic():
        claim = claim_lock(claim, "start_review")
        claim.reviewer = actor
        claim_move(
            claim,
            to=S.IN_REVIEW,
            kind=ClaimEvent.Kind.REVIEW_STARTED,
            actor=actor,
            fields=["reviewer"],
        )
    return claim


def claim_request_invoice(*, claim: Claim, actor: User, message: str) -> Claim:
    """Ask the reseller for a copy of the customer invoice (R9)."""
    require_reviewer(actor)
    message = (message or "").strip()
    if not message:
        raise ClaimError(
            _("Write what the reseller should send."),
            field="message",
            code=ClaimError.Code.MESSAGE_REQUIRED,
        )
    with transaction.atomic():
        claim = claim_lock(claim, "request_invoice")
        _review_if_new(claim, actor)
        claim_move(
            claim,
            to=S.INFO_REQUESTED,
            kind=ClaimEvent.Kind.INVOICE_REQUESTED,
            actor=actor,
            message=message,
        )
    return claim


def claim_upload_invoice(
    *, claim: Claim, user: User, upload: UploadedFile
) -> InvoiceDocument:
    """Store the asked-for invoice copy; the claim goes back to review.

    The file is checked by its content before anything is written and stored
    under a generated name in private storage.
    """
    require_member(claim, user)
    content_type, problem = invoice_file_check(upload)
    if content_type is None:
        raise ClaimError(problem, field="file", code=ClaimError.Code.INVALID_FILE)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = None
    try:
        with transaction.atomic():
            claim = claim_lock(claim, "upload_invoice")
            document = InvoiceDocument(
                claim=claim,
                original_name=(upload.name or "invoice")[-255:],
                content_type=content_type,
                size=upload.size,
                sha256=digest.hexdigest(),
                uploaded_by=user,
            )
            document.file.save("invoice", upload, save=False)
            document.save()
            claim_move(
                claim,
                to=S.IN_REVIEW,
                kind=ClaimEvent.Kind.INVOICE_UPLOADED,
                actor=user,
                message=document.original_name,
            )
            enqueue_after_commit(VALIDATE_TASK, claim.pk)
    except Exception:
        # Nothing in the database points at the file any more.
        if document is not None and document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def _decide(
    claim: Claim, actor: User, *, to: str, kind: str, reason: str, reason_code: str = ""
) -> None:
    """Record a reviewer's decision on a locked claim: who, when, why, and the event."""
    require_impartial(claim, actor)
    _review_if_new(claim, actor)
    claim.reviewer = actor
    claim.decided_at = timezone.now()
    claim.decision_reason_code = reason_code
    claim.decision_reason = (reason or "").strip()
    claim_move(
        claim,
        to=to,
        kind=kind,
        actor=actor,
        message=claim.decision_reason,
        reason_code=reason_code,
        fields=["reviewer", "decided_at", "decision_reason_code", "decision_reason"],
    )


def claim_approve(*, claim: Claim, actor: User, note: str = "") -> Claim:
    """Approve (R10); payouts opens the payout on the signal, in this transaction."""
    require_reviewer(actor)
    with transaction.atomic():
        claim = claim_lock(claim, "approve")
        if claim.reward_to_pay is None or claim.reward_to_pay <= 0:
            # The payout is the reward: approving nothing to pay would open an
            # empty payout and ask the reseller for bank details for it.
            raise ClaimError(
                _(
                    "%(reference)s has no reward to pay yet: re-run the validation, "
                    "or reject the claim."
                )
                % {"reference": claim.reference},
                code=ClaimError.Code.NO_REWARD,
            )
        _decide(claim, actor, to=S.APPROVED, kind=ClaimEvent.Kind.APPROVED, reason=note)
        claim_approved.send(sender=Claim, claim=claim, actor=actor)
    return claim


def claim_reject(
    *, claim: Claim, actor: User, reason_code: str, reason: str = ""
) -> Claim:
    """Reject with a reason code (RejectionReason) and the reviewer's own words;
    the reseller reads them in their language on the claim and in the e-mail."""
    require_reviewer(actor)
    reason = (reason or "").strip()
    if reason_code not in RejectionReason.values:
        raise ClaimError(
            _("Give the reason for the rejection."),
            field="reason",
            code=ClaimError.Code.REASON_REQUIRED,
        )
    if reason_code == RejectionReason.OTHER and not reason:
        raise ClaimError(
            _("Explain the reason for “Other”."),
            field="reason",
            code=ClaimError.Code.REASON_REQUIRED,
        )
    with transaction.atomic():
        claim = claim_lock(claim, "reject")
        _decide(
            claim,
            actor,
            to=S.REJECTED,
            kind=ClaimEvent.Kind.REJECTED,
            reason=reason,
            reason_code=reason_code,
        )
        if claim.disputed_at is not None:
            # A rejection after a dispute is final: the numbers are free now.
            claim_numbers_free(claim=claim)
    return claim


def claim_withdraw(*, claim: Claim, user: User) -> Claim:
    """The company takes its claim back before a decision; its numbers are freed."""
    require_member(claim, user)
    with transaction.atomic():
        claim = claim_lock(claim, "withdraw")
        claim.agreements.update(is_active=False)
        claim_move(claim, to=S.WITHDRAWN, kind=ClaimEvent.Kind.WITHDRAWN, actor=user)
    return claim


def claim_dispute(*, claim: Claim, user: User, comment: str) -> Claim:
    """Dispute a rejection, once, within 30 days of it, with a comment."""
    require_member(claim, user)
    comment = (comment or "").strip()
    if not comment:
        raise ClaimError(
            _("Explain why the rejection is wrong."),
            field="comment",
            code=ClaimError.Code.COMMENT_REQUIRED,
        )
    with transaction.atomic():
        claim = claim_lock(claim, "dispute")
        if claim.disputed_at is not None:
            raise ClaimError(
                _("A rejection can be disputed once; this one already was."),
                code=ClaimError.Code.ALREADY_DISPUTED,
            )
        if not claim_can_dispute(claim):
            raise ClaimError(
                _(
                    "A rejection can be disputed within %(days)s days; that time is "
                    "over."
                )
                % {"days": DISPUTE_WINDOW_DAYS},
                code=ClaimError.Code.DISPUTE_TOO_LATE,
            )
        claim.disputed_at = timezone.now()
        claim_move(
            claim,
            to=S.DISPUTED,
            kind=ClaimEvent.Kind.DISPUTED,
            actor=user,
            message=comment,
            fields=["disputed_at"],
        )
    return claim
