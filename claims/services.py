"""Every write about claims: filing, the review workflow, invoice copies and the
stored validation result.

Each function is one transaction. State changes lock the claim row, check the
transition is allowed (`TRANSITIONS`), write the new state and a ClaimEvent,
and send the reseller's users an e-mail through the outbox; a refusal raises
`ClaimError` and leaves nothing written.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from cashback.clock import program_today
from cashback.errors import PortalError
from cashback.outbox import (
    outbox_email_enqueue,
    outbox_email_render,
    outbox_emails_store_many,
)
from cashback.tasks_util import enqueue_after_commit
from offers.eligibility import offer_eligibility
from offers.models import Offer
from resellers.access import has_verified_email
from resellers.models import Reseller, User
from resellers.selectors import recipients_by_language

from .models import (
    DISPUTE_WINDOW_DAYS,
    Claim,
    ClaimAgreement,
    ClaimEvent,
    ClaimReferenceCounter,
    DuplicateAttempt,
    InvoiceDocument,
    RejectionReason,
)
from .numbers import MAX_NUMBERS_PER_CLAIM, agreement_numbers_parse
from .numbers import agreement_numbers_split as _split
from .signals import claim_approved
from .uploads import invoice_file_check
from .validation import claim_report

logger = logging.getLogger(__name__)
S = Claim.Status

# Which states each action starts from. Reviewer actions on a claim nobody has
# opened yet record "review started" first, in the same transaction, so the
# timeline always reads submitted -> in review -> decision.
TRANSITIONS: dict[str, set[str]] = {
    "start_review": {S.SUBMITTED},
    "request_invoice": {S.SUBMITTED, S.IN_REVIEW},
    "upload_invoice": {S.INFO_REQUESTED},
    "approve": {S.SUBMITTED, S.IN_REVIEW, S.DISPUTED},
    # A reseller who never sends the asked-for invoice can still be answered.
    "reject": {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.DISPUTED},
    "withdraw": {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED},
    "dispute": {S.REJECTED},
    # Corrections (claims/corrections.py): an approval is reversed while its
    # payout is not with the bank (payouts refuses it otherwise); a reward is
    # adjusted on any claim that may still be paid.
    "reverse_approval": {S.APPROVED},
    "adjust_reward": {
        S.SUBMITTED,
        S.IN_REVIEW,
        S.INFO_REQUESTED,
        S.APPROVED,
        S.DISPUTED,
    },
}

ACTION_LABELS = {
    "start_review": _("put in review"),
    "request_invoice": _("asked for an invoice copy"),
    "upload_invoice": _("given an invoice copy"),
    "approve": _("approved"),
    "reject": _("rejected"),
    "withdraw": _("withdrawn"),
    "dispute": _("disputed"),
    "reverse_approval": _("reversed"),
    "adjust_reward": _("adjusted"),
}


class ClaimError(PortalError):
    """A refusal with messages by form field (NON_FIELD_ERRORS for the rest)."""


def _refuse(message, field: str = NON_FIELD_ERRORS, code: str = "refused"):
    return ClaimError({field: [ValidationError(message, code=code)]})


def claim_can_withdraw(claim: Claim) -> bool:
    return claim.status in TRANSITIONS["withdraw"]


def claim_can_dispute(claim: Claim, now: dt.datetime | None = None) -> bool:
    """Whether the rejection can still be disputed: until the end of its last
    whole day in the program's time zone (Claim.dispute_until, exclusive)."""
    until = claim.dispute_until
    return until is not None and (now or timezone.now()) < until


# Filing ----------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, errors: dict, duplicates: list[ClaimAgreement]) -> None:
        self.errors = errors
        self.duplicates = duplicates


def _add(errors: dict, field: str, message, code: str = "refused") -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def _taken_numbers(
    *, reseller: Reseller, offer: Offer, numbers: list[str], errors: dict
) -> list[ClaimAgreement]:
    """Numbers already claimed on the offer; returns other companies' claims."""
    duplicates = []
    taken = (
        ClaimAgreement.objects.filter(
            offer=offer, agreement_number__in=numbers, is_active=True
        )
        .select_related("claim")
        .order_by("agreement_number")
    )
    for claimed in taken:
        if claimed.claim.reseller_id == reseller.pk:
            _add(
                errors,
                "agreement_numbers",
                _("%(number)s is already claimed in %(reference)s.")
                % {
                    "number": claimed.agreement_number,
                    "reference": claimed.claim.reference,
                },
                "already_claimed",
            )
        else:
            # Neutral on purpose: another company's claim is not disclosed.
            _add(
                errors,
                "agreement_numbers",
                _(
                    "%(number)s cannot be claimed on this offer. If you sold it, "
                    "write to support with the invoice."
                )
                % {"number": claimed.agreement_number},
                "claimed_by_other",
            )
            duplicates.append(claimed)
    return duplicates


def _existing_reference(reseller: Reseller, offer: Offer) -> str | None:
    if offer.claim_mode != Offer.ClaimMode.ONE_PER_RESELLER:
        return None
    # The claim's own mode too, so the planner reads the one row of the
    # partial unique index `claim_one_per_reseller_and_offer`: on the offer
    # index it fetched every claim of the offer, 275 rows a filing right after
    # a deadline burst, before autovacuum had analyzed the new rows (make bench).
    return (
        Claim.objects.filter(
            reseller=reseller, offer=offer, claim_mode=Offer.ClaimMode.ONE_PER_RESELLER
        )
        .counting()
        .order_by("created_at")
        .values_list("reference", flat=True)
        .first()
    )


def claim_reference_next(*, year: int) -> str:
    """`CB-<year>-<6 digits>`: the year of filing and the next number.

    On PostgreSQL the number comes from a sequence (migration 0013), which
    takes no lock, so filings never wait on each other for it; numbers go on
    across years and a rolled-back filing leaves a gap. SQLite (`make run`)
    counts per year in a row that stays locked until the filing commits.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('claims_claim_reference_seq')")
            [number] = cursor.fetchone()
        return f"CB-{year}-{number:06d}"
    ClaimReferenceCounter.objects.get_or_create(year=year)
    ClaimReferenceCounter.objects.filter(year=year).update(
        last_number=F("last_number") + 1
    )
    number = ClaimReferenceCounter.objects.values_list("last_number", flat=True).get(
        year=year
    )
    return f"CB-{year}-{number:06d}"


def claim_file(
    *,
    reseller: Reseller,
    offer: Offer,
    user: User,
    agreement_numbers: Iterable[str] | str,
    accepted_terms: bool,
    ip: str | None,
    terms_version: int | None = None,
) -> Claim:
    """File a claim (R6-R8): checked whole, then stored whole, or refused.

    No lock is shared by the filers of an offer (issue 20: on a deadline day
    they went one at a time): the database's unique constraints keep "one
    claim per company" (one-claim mode) and "each number once per offer"
    true, so of two racing filings the second's insert waits for the first
    and fails if it committed, and is refused with what the winner holds.
    The reference and the e-mails are made before the transaction opens.
    """
    entries = (
        _split(agreement_numbers)
        if isinstance(agreement_numbers, str)
        else list(agreement_numbers)
    )
    numbers, bad = agreement_numbers_parse(entries)
    errors: dict[str, list[ValidationError]] = {}
    for message in bad:
        _add(errors, "agreement_numbers", message, "invalid_number")
    if not entries:
        _add(
            errors,
            "agreement_numbers",
            _("Enter the Open agreement number of at least one sale."),
            "required",
        )
    if len(numbers) > MAX_NUMBERS_PER_CLAIM:
        _add(
            errors,
            "agreement_numbers",
            _("At most %(count)s agreement numbers fit in one claim.")
            % {"count": MAX_NUMBERS_PER_CLAIM},
            "too_many",
        )
    if not accepted_terms:
        _add(
            errors,
            "accepted_terms",
            _("Read the terms and tick the box to accept them."),
            "terms_not_accepted",
        )
    if user.reseller_id != reseller.pk or not has_verified_email(user):
        _add(
            errors,
            NON_FIELD_ERRORS,
            _("Only a verified user of the company can file its claims."),
            "unverified",
        )
    if errors:
        raise ClaimError(errors)

    now = timezone.now()
    reference = _reference_draw(now)
    emails = _filed_emails(
        reseller=reseller, offer=offer, reference=reference, user=user
    )
    try:
        with transaction.atomic():
            claim = _claim_file_store(
                reseller=reseller,
                offer=offer,
                user=user,
                numbers=numbers,
                ip=ip,
                terms_version=terms_version,
                reference=reference,
                now=now,
                emails=emails,
            )
    except _Refused as refused:
        _duplicates_record(
            reseller=reseller, offer=offer, user=user, duplicates=refused.duplicates
        )
        raise ClaimError(refused.errors) from None
    except IntegrityError:
        # A filing that raced this one committed first (the constraints made
        # this insert wait for it), so say what the winner holds.
        errors = {}
        existing = _existing_reference(reseller, offer)
        if existing:
            _add(
                errors,
                NON_FIELD_ERRORS,
                _("Your company has already filed %(reference)s for this offer.")
                % {"reference": existing},
                "existing_claim",
            )
        duplicates = _taken_numbers(
            reseller=reseller, offer=offer, numbers=numbers, errors=errors
        )
        _duplicates_record(
            reseller=reseller, offer=offer, user=user, duplicates=duplicates
        )
        if not errors:
            _add(
                errors,
                NON_FIELD_ERRORS,
                _("A claim was filed at the same moment. Open your claims to see it."),
                "conflict",
            )
        raise ClaimError(errors) from None
    return claim


def _reference_draw(now: dt.datetime) -> str:
    """The new claim's reference, drawn before the filing's transaction: on
    PostgreSQL a sequence (no lock), on SQLite the counter in its own short
    transaction. A refused filing leaves a gap in the numbers."""
    with transaction.atomic():
        return claim_reference_next(year=program_today(now).year)


def _filed_emails(
    *, reseller: Reseller, offer: Offer, reference: str, user: User
) -> list[tuple[str, list[str], tuple[str, str, str]]]:
    """The "claim received" e-mail for each language of the company's users
    who may see its claims, and of who filed it:
    (language, recipients, (subject, text, html)), rendered before the
    transaction so that rendering holds no lock."""
    claim = Claim(
        reference=reference, reseller=reseller, offer=offer, status=S.SUBMITTED
    )
    context = {
        "claim": claim,
        "offer": offer,
        "kind": ClaimEvent.Kind.FILED,
        "message": "",
        "url": settings.PORTAL_URL.rstrip("/") + claim.get_absolute_url(),
    }
    by_language = recipients_by_language(
        reseller_ids=[reseller.pk], also_user_ids=[user.pk]
    )
    return [
        (
            language,
            sorted(recipients),
            outbox_email_render(
                template="emails/claim_update", context=context, language=language
            ),
        )
        for language, recipients in sorted(by_language[reseller.pk].items())
    ]


def _duplicates_record(
    *,
    reseller: Reseller,
    offer: Offer,
    user: User,
    duplicates: list[ClaimAgreement],
) -> None:
    """Recorded after the rollback, in its own transaction: reviewers must see
    the attempt even though nothing else of it is kept (R7)."""
    if not duplicates:
        return
    with transaction.atomic():
        DuplicateAttempt.objects.bulk_create(
            DuplicateAttempt(
                offer=offer,
                agreement_number=claimed.agreement_number,
                reseller=reseller,
                user=user,
                existing_claim=claimed.claim,
            )
            for claimed in duplicates
        )


def _claim_file_store(
    *,
    reseller: Reseller,
    offer: Offer,
    user: User,
    numbers: list[str],
    ip: str | None,
    terms_version: int | None,
    reference: str,
    now: dt.datetime,
    emails: list[tuple[str, list[str], tuple[str, str, str]]],
) -> Claim:
    errors: dict[str, list[ValidationError]] = {}
    # Read again, not locked: inserting the claim takes the foreign key's
    # share lock on the offer row, which filers do not wait on each other for.
    offer = Offer.objects.get(pk=offer.pk)
    if offer.status != Offer.Status.PUBLISHED:
        _add(errors, NON_FIELD_ERRORS, _("This offer is not open."), "not_published")
        raise _Refused(errors, [])
    terms = offer.current_terms()
    if terms is None:
        _add(
            errors,
            NON_FIELD_ERRORS,
            _("This offer has no terms yet, so it cannot be claimed."),
            "no_terms",
        )
        raise _Refused(errors, [])
    if terms_version is not None and terms.version != terms_version:
        _add(
            errors,
            "accepted_terms",
            _(
                "The terms changed while you were filling in the form. Read version "
                "%(version)s below and accept it."
            )
            % {"version": terms.version},
            "terms_changed",
        )
    eligibility = offer_eligibility(
        offer=offer,
        reseller=reseller,
        memberships=list(reseller.memberships.all()),
        existing_claim_reference=_existing_reference(reseller, offer),
    )
    for failure in eligibility.failures:
        _add(errors, NON_FIELD_ERRORS, failure.reason, failure.code)
    if offer.claim_mode == Offer.ClaimMode.ONE_PER_SALE and len(numbers) > 1:
        _add(
            errors,
            "agreement_numbers",
            _(
                "This offer takes one claim per sale: enter one agreement number "
                "and file a claim for each of the others."
            ),
            "one_per_sale",
        )
    duplicates = _taken_numbers(
        reseller=reseller, offer=offer, numbers=numbers, errors=errors
    )
    if errors:
        raise _Refused(errors, duplicates)

    claim = Claim.objects.create(
        reference=reference,
        reseller=reseller,
        offer=offer,
        claim_mode=offer.claim_mode,
        submitted_by=user,
        terms=terms,
        terms_accepted_at=now,
        terms_accepted_ip=ip or None,
        reward_currency=offer.reward_currency,
    )
    ClaimAgreement.objects.bulk_create(
        ClaimAgreement(claim=claim, offer=offer, agreement_number=number)
        for number in numbers
    )
    event = ClaimEvent.objects.create(
        claim=claim, kind=ClaimEvent.Kind.FILED, to_status=S.SUBMITTED, actor=user
    )
    outbox_emails_store_many(
        [
            {
                "dedup_key": f"claim-event:{event.pk}:{language}",
                "recipients": recipients,
                "subject": subject,
                "text_body": text_body,
                "html_body": html_body,
            }
            for language, recipients, (subject, text_body, html_body) in emails
        ]
    )
    from .tasks import claim_validate_task

    enqueue_after_commit(claim_validate_task, claim.pk)
    return claim


# The review workflow -------------------------------------------------------


def _lock(claim: Claim, action: str) -> Claim:
    locked = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("offer", "reseller")
        .get(pk=claim.pk)
    )
    if locked.status not in TRANSITIONS[action]:
        raise _refuse(
            _("%(reference)s is %(status)s; it cannot be %(action)s now.")
            % {
                "reference": locked.reference,
                "status": locked.get_status_display().lower(),
                "action": ACTION_LABELS[action],
            },
            code="transition_not_allowed",
        )
    return locked


def _move(
    claim: Claim,
    *,
    to: str,
    kind: str,
    actor: User | None,
    message: str = "",
    reason_code: str = "",
    fields: Iterable[str] = (),
    notify: bool = True,
) -> ClaimEvent:
    from_status = claim.status
    claim.status = to
    claim.save(update_fields=["status", "updated_at", *fields])
    event = ClaimEvent.objects.create(
        claim=claim,
        kind=kind,
        from_status=from_status,
        to_status=to,
        actor=actor,
        message=message,
        reason_code=reason_code,
    )
    if notify:
        _notify(claim, event)
    return event


def user_may_review(user: User | None) -> bool:
    """Who may review claims (R10, R24): active staff with the review
    permission. Admin shows the review actions by the same rule."""
    return bool(
        user
        and user.is_active
        and user.is_staff
        and user.has_perm("claims.review_claim")
    )


def _require_reviewer(actor: User) -> None:
    if not user_may_review(actor):
        raise _refuse(_("Only the program's reviewers can do this."), code="forbidden")


def _require_member(claim: Claim, user: User) -> None:
    if user.reseller_id != claim.reseller_id:
        raise _refuse(_("Only the company's users can do this."), code="forbidden")


def _review_if_new(claim: Claim, actor: User) -> None:
    if claim.status == S.SUBMITTED:
        claim.reviewer = actor
        _move(
            claim,
            to=S.IN_REVIEW,
            kind=ClaimEvent.Kind.REVIEW_STARTED,
            actor=actor,
            fields=["reviewer"],
            notify=False,
        )


def claim_start_review(*, claim: Claim, actor: User) -> Claim:
    """A reviewer takes the claim: submitted -> in review."""
    _require_reviewer(actor)
    with transaction.atomic():
        claim = _lock(claim, "start_review")
        claim.reviewer = actor
        _move(
            claim,
            to=S.IN_REVIEW,
            kind=ClaimEvent.Kind.REVIEW_STARTED,
            actor=actor,
            fields=["reviewer"],
        )
    return claim


def claim_request_invoice(*, claim: Claim, actor: User, message: str) -> Claim:
    """Ask the reseller for a copy of the customer invoice (R9)."""
    _require_reviewer(actor)
    message = (message or "").strip()
    if not message:
        raise _refuse(
            _("Write what the reseller should send."), "message", "message_required"
        )
    with transaction.atomic():
        claim = _lock(claim, "request_invoice")
        _review_if_new(claim, actor)
        _move(
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
    under a generated name in private storage, before the claim's row is
    locked: no database lock is held while the file travels to S3 (R27). A
    storage that does not answer within its timeouts is a message to try
    again, and nothing is recorded.
    """
    _require_member(claim, user)
    content_type, problem = invoice_file_check(upload)
    if content_type is None:
        raise _refuse(problem, "file", "invalid_file")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if claim.status not in TRANSITIONS["upload_invoice"]:
        with transaction.atomic():
            _lock(claim, "upload_invoice")  # refuses, with the reason
    document = InvoiceDocument(
        claim=claim,
        original_name=(upload.name or "invoice")[-255:],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    try:
        document.file.save("invoice", upload, save=False)
    except Exception as error:  # botocore's and the file system's errors alike
        logger.warning(
            "Invoice copy for %s not stored: %s", claim.reference, type(error).__name__
        )
        raise _refuse(
            _(
                "The file could not be stored just now: the storage did not "
                "answer. Nothing was saved; please try again in a few minutes."
            ),
            "file",
            "storage_unavailable",
        ) from error
    try:
        with transaction.atomic():
            claim = _lock(claim, "upload_invoice")
            document.claim = claim
            document.save()
            _move(
                claim,
                to=S.IN_REVIEW,
                kind=ClaimEvent.Kind.INVOICE_UPLOADED,
                actor=user,
                message=document.original_name,
            )
            from .tasks import claim_validate_task

            enqueue_after_commit(claim_validate_task, claim.pk)
    except Exception:
        # Nothing in the database points at the file any more.
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def _require_impartial(claim: Claim, actor: User) -> None:
    """A reviewer never decides for their own company, nor hears the dispute of
    their own rejection (the claim's reviewer is the one who rejected it)."""
    if actor.reseller_id is not None and actor.reseller_id == claim.reseller_id:
        raise _refuse(
            _("You belong to %(company)s: another reviewer decides its claims.")
            % {"company": claim.reseller.legal_name},
            code="own_company",
        )
    if claim.status == S.DISPUTED and claim.reviewer_id == actor.pk:
        raise _refuse(
            _("You rejected %(reference)s: another reviewer decides its dispute.")
            % {"reference": claim.reference},
            code="own_rejection",
        )


def _decide(
    claim: Claim, actor: User, *, to: str, kind: str, reason: str, reason_code: str = ""
) -> None:
    """Record a reviewer's decision on a locked claim: who, when, why, and the event."""
    _require_impartial(claim, actor)
    _review_if_new(claim, actor)
    claim.reviewer = actor
    claim.decided_at = timezone.now()
    claim.decision_reason_code = reason_code
    claim.decision_reason = (reason or "").strip()
    _move(
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
    _require_reviewer(actor)
    with transaction.atomic():
        claim = _lock(claim, "approve")
        if claim.reward_to_pay is None or claim.reward_to_pay <= 0:
            # The payout is the reward: approving nothing to pay would open an
            # empty payout and ask the reseller for bank details for it.
            raise _refuse(
                _(
                    "%(reference)s has no reward to pay yet: re-run the validation, "
                    "or reject the claim."
                )
                % {"reference": claim.reference},
                code="no_reward",
            )
        _decide(claim, actor, to=S.APPROVED, kind=ClaimEvent.Kind.APPROVED, reason=note)
        claim_approved.send(sender=Claim, claim=claim, actor=actor)
    return claim


def claim_reject(
    *, claim: Claim, actor: User, reason_code: str, reason: str = ""
) -> Claim:
    """Reject with a reason code (RejectionReason) and the reviewer's own words;
    the reseller reads them in their language on the claim and in the e-mail."""
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if reason_code not in RejectionReason.values:
        raise _refuse(
            _("Give the reason for the rejection."), "reason", "reason_required"
        )
    if reason_code == RejectionReason.OTHER and not reason:
        raise _refuse(_("Explain the reason for “Other”."), "reason", "reason_required")
    with transaction.atomic():
        claim = _lock(claim, "reject")
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
            from .corrections import claim_numbers_free

            claim_numbers_free(claim=claim)
    return claim


def claim_withdraw(*, claim: Claim, user: User) -> Claim:
    """The company takes its claim back before a decision; its numbers are freed."""
    _require_member(claim, user)
    with transaction.atomic():
        claim = _lock(claim, "withdraw")
        claim.agreements.update(is_active=False)
        _move(claim, to=S.WITHDRAWN, kind=ClaimEvent.Kind.WITHDRAWN, actor=user)
    return claim


def claim_dispute(*, claim: Claim, user: User, comment: str) -> Claim:
    """Dispute a rejection, once, within 30 days of it, with a comment."""
    _require_member(claim, user)
    comment = (comment or "").strip()
    if not comment:
        raise _refuse(
            _("Explain why the rejection is wrong."), "comment", "comment_required"
        )
    with transaction.atomic():
        claim = _lock(claim, "dispute")
        if claim.disputed_at is not None:
            raise _refuse(
                _("A rejection can be disputed once; this one already was."),
                code="already_disputed",
            )
        if not claim_can_dispute(claim):
            raise _refuse(
                _(
                    "A rejection can be disputed within %(days)s days; that time is "
                    "over."
                )
                % {"days": DISPUTE_WINDOW_DAYS},
                code="dispute_too_late",
            )
        claim.disputed_at = timezone.now()
        _move(
            claim,
            to=S.DISPUTED,
            kind=ClaimEvent.Kind.DISPUTED,
            actor=user,
            message=comment,
            fields=["disputed_at"],
        )
    return claim


def claim_validate(
    *, claim_id: int, actor: User | None = None, note: str = ""
) -> Claim:
    """Run the validation engine and store its report, outcome and reward.

    A decided claim keeps the amount it was decided on. `note` says why it
    ran again (the event's message, after the outcome).
    """
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("offer", "reseller")
            .get(pk=claim_id)
        )
        report = claim_report(claim)
        claim.validation_report = report.as_json()
        claim.validation_outcome = report.outcome
        claim.validated_at = timezone.now()
        fields = ["validation_report", "validation_outcome", "validated_at"]
        if claim.status not in {S.APPROVED, S.WITHDRAWN}:
            claim.reward_amount = report.reward_amount
            claim.reward_currency = report.reward_currency
            fields += ["reward_amount", "reward_currency"]
        claim.save(update_fields=[*fields, "updated_at"])
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.VALIDATED,
            from_status=claim.status,
            to_status=claim.status,
            actor=actor,
            message=" ".join(
                filter(None, [str(claim.get_validation_outcome_display()), note])
            ),
        )
    return claim


# E-mail -----------------------------------------------------------------------


def event_message_in_words(event: ClaimEvent) -> str:
    return event.message_in_words


def _notify(claim: Claim, event: ClaimEvent) -> None:
    """Tell every user of the company who may see the claim, each in their
    language, with a link."""
    by_language = recipients_by_language(
        reseller_ids=[claim.reseller_id], also_user_ids=[claim.submitted_by_id]
    )
    url = settings.PORTAL_URL.rstrip("/") + claim.get_absolute_url()
    for language, recipients in sorted(by_language[claim.reseller_id].items()):
        outbox_email_enqueue(
            dedup_key=f"claim-event:{event.pk}:{language}",
            recipients=sorted(recipients),
            template="emails/claim_update",
            context={
                "claim": claim,
                "offer": claim.offer,
                "kind": event.kind,
                # Rendered under the recipient's language by the outbox.
                "message": lazy(event_message_in_words, str)(event),
                "url": url,
            },
            language=language,
        )
