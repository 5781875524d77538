"""Filing a claim (R6-R8): checked whole, then stored whole, or refused; its
reference and the company's "claim received" e-mail."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cashback.clock import program_today
from cashback.outbox import (
    outbox_email_render,
    outbox_emails_store_many,
    outbox_emails_store_with,
)
from cashback.sql import insert_sql
from cashback.tasks_util import enqueue_after_commit
from offers.eligibility import offer_eligibility
from offers.models import Offer
from resellers.access import has_verified_email
from resellers.models import Reseller, User
from resellers.selectors import recipients_by_language

from ..models import (
    Claim,
    ClaimAgreement,
    ClaimEvent,
    ClaimReferenceCounter,
    DuplicateAttempt,
)
from ..numbers import MAX_NUMBERS_PER_CLAIM, agreement_numbers_parse
from ..numbers import agreement_numbers_split as _split
from ..selectors import offer_for_filing
from .errors import ClaimError
from .validating import VALIDATE_TASK

S = Claim.Status


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
                ClaimError.Code.ALREADY_CLAIMED,
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
                ClaimError.Code.CLAIMED_BY_OTHER,
            )
            duplicates.append(claimed)
    return duplicates


def claim_existing_reference(*, reseller: Reseller, offer: Offer) -> str | None:
    """The reference of the claim the company already holds on a one-claim
    offer that still counts (R7), or None."""
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


FILING_FIELD_SALT = "claims.filing.terms"
# A form left open longer than this is read again (the unsigned fallback).
FILING_FIELD_MAX_AGE = 24 * 3600


def filing_token(*, offer: Offer, user: User) -> str:
    """What the claim form showed, signed for its POST (issue 33): the offer,
    the terms version the reseller read and the offer's rule version (its
    `updated_at`), for this user. See `filing_terms_version`."""
    terms = offer.filing_terms
    return signing.dumps(
        [offer.pk, terms.version, offer.updated_at.isoformat(), user.pk],
        salt=FILING_FIELD_SALT,
        compress=False,
    )


def filing_terms_version(
    *, token: str, offer: Offer, user: User, unsigned: int | None
) -> int | None:
    """The terms version the reseller was shown, for `claim_file` to compare
    with the current one (R8): from the signed token when it is valid, fresh
    and about this offer, its rules as they are now and this user; otherwise
    the unsigned form field, which is only ever compared (a filing always
    reads the current version itself, so nothing unsigned skips a check)."""
    if token:
        try:
            offer_id, version, rules, user_id = signing.loads(
                token, salt=FILING_FIELD_SALT, max_age=FILING_FIELD_MAX_AGE
            )
        except (signing.BadSignature, ValueError, TypeError):
            pass
        else:
            if (offer_id, rules, user_id) == (
                offer.pk,
                offer.updated_at.isoformat(),
                user.pk,
            ):
                return version
    return unsigned


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
        _add(errors, "agreement_numbers", message, ClaimError.Code.INVALID_NUMBER)
    if not entries:
        _add(
            errors,
            "agreement_numbers",
            _("Enter the Open agreement number of at least one sale."),
            ClaimError.Code.REQUIRED,
        )
    if len(numbers) > MAX_NUMBERS_PER_CLAIM:
        _add(
            errors,
            "agreement_numbers",
            _("At most %(count)s agreement numbers fit in one claim.")
            % {"count": MAX_NUMBERS_PER_CLAIM},
            ClaimError.Code.TOO_MANY,
        )
    if not accepted_terms:
        _add(
            errors,
            "accepted_terms",
            _("Read the terms and tick the box to accept them."),
            ClaimError.Code.TERMS_NOT_ACCEPTED,
        )
    if user.reseller_id != reseller.pk or not has_verified_email(user):
        _add(
            errors,
            NON_FIELD_ERRORS,
            _("Only a verified user of the company can file its claims."),
            ClaimError.Code.UNVERIFIED,
        )
    if errors:
        raise ClaimError(errors)

    if not hasattr(offer, "filing_terms"):
        offer = offer_for_filing(reseller=reseller, pk=offer.pk, draw_reference=True)
    _checks_with_offer(
        reseller=reseller,
        offer=offer,
        user=user,
        numbers=numbers,
        terms_version=terms_version,
    )
    now = timezone.now()
    if offer.filing_reference_number is not None:
        reference = _reference_text(now, offer.filing_reference_number)
    else:
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
                reference=reference,
                now=now,
                emails=emails,
            )
    except IntegrityError:
        # A claim that counts already holds the company's one claim or one of
        # the numbers: one that raced this filing and committed first (the
        # constraints made this insert wait for it), or one the checks above
        # did not look for (they leave the numbers to the constraint, issue
        # 33). Say what it holds, as a refusal.
        errors = {}
        existing = claim_existing_reference(reseller=reseller, offer=offer)
        if existing:
            _add(
                errors,
                NON_FIELD_ERRORS,
                _("Your company has already filed %(reference)s for this offer.")
                % {"reference": existing},
                ClaimError.Code.EXISTING_CLAIM,
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
                ClaimError.Code.CONFLICT,
            )
        raise ClaimError(errors) from None
    return claim


def _reference_draw(now: dt.datetime) -> str:
    """The new claim's reference, drawn before the filing's transaction: on
    PostgreSQL a sequence (no lock), on SQLite the counter in its own short
    transaction. A refused filing leaves a gap in the numbers."""
    if connection.vendor == "postgresql":
        return claim_reference_next(year=program_today(now).year)
    with transaction.atomic():
        return claim_reference_next(year=program_today(now).year)


def _reference_text(now: dt.datetime, number: int) -> str:
    """`claim_reference_next`'s text for a number drawn from its sequence
    (by `offer_for_filing`, in the statement that reads the offer)."""
    return f"CB-{program_today(now).year}-{number:06d}"


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


def _checks_with_offer(
    *,
    reseller: Reseller,
    offer: Offer,
    user: User,
    numbers: list[str],
    terms_version: int | None,
) -> None:
    """The checks that need the offer as `offer_for_filing` read it (R5-R8);
    raises ClaimError, recording other companies' claims on the numbers
    (R7). Whether a number is already claimed is left to the constraint
    `agreement_claimed_once_per_offer` when nothing else is wrong (the
    insert fails and `claim_file` says why): one read fewer per filing."""
    errors: dict[str, list[ValidationError]] = {}
    if offer.status != Offer.Status.PUBLISHED:
        _add(
            errors,
            NON_FIELD_ERRORS,
            _("This offer is not open."),
            ClaimError.Code.NOT_PUBLISHED,
        )
        raise ClaimError(errors)
    terms = offer.filing_terms
    if terms is None:
        _add(
            errors,
            NON_FIELD_ERRORS,
            _("This offer has no terms yet, so it cannot be claimed."),
            ClaimError.Code.NO_TERMS,
        )
        raise ClaimError(errors)
    if terms_version is not None and terms.version != terms_version:
        _add(
            errors,
            "accepted_terms",
            _(
                "The terms changed while you were filling in the form. Read version "
                "%(version)s below and accept it."
            )
            % {"version": terms.version},
            ClaimError.Code.TERMS_CHANGED,
        )
    eligibility = offer_eligibility(
        offer=offer,
        reseller=reseller,
        memberships=offer.filing_memberships,
        existing_claim_reference=offer.filing_existing_reference,
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
            ClaimError.Code.ONE_PER_SALE,
        )
    if errors:
        duplicates = _taken_numbers(
            reseller=reseller, offer=offer, numbers=numbers, errors=errors
        )
        _duplicates_record(
            reseller=reseller, offer=offer, user=user, duplicates=duplicates
        )
        raise ClaimError(errors)


def _claim_file_store(
    *,
    reseller: Reseller,
    offer: Offer,
    user: User,
    numbers: list[str],
    ip: str | None,
    reference: str,
    now: dt.datetime,
    emails: list[tuple[str, list[str], tuple[str, str, str]]],
) -> Claim:
    """The claim (and its history row), then its agreements, its event and
    its e-mails: on PostgreSQL the last three in one statement."""
    claim = Claim.objects.create(
        reference=reference,
        reseller=reseller,
        offer=offer,
        claim_mode=offer.claim_mode,
        submitted_by=user,
        terms=offer.filing_terms,
        terms_accepted_at=now,
        terms_accepted_ip=ip or None,
        reward_currency=offer.reward_currency,
    )
    agreements = [
        ClaimAgreement(claim=claim, offer=offer, agreement_number=number)
        for number in numbers
    ]
    event = ClaimEvent(
        claim=claim, kind=ClaimEvent.Kind.FILED, to_status=S.SUBMITTED, actor=user
    )
    messages = [
        {
            "dedup_key": f"claim-event:{{id}}:{language}",
            "recipients": recipients,
            "subject": subject,
            "text_body": text_body,
            "html_body": html_body,
        }
        for language, recipients, (subject, text_body, html_body) in emails
    ]
    if connection.vendor == "postgresql":
        outbox_emails_store_with(
            row=insert_sql([event]), also=[insert_sql(agreements)], messages=messages
        )
    else:
        ClaimAgreement.objects.bulk_create(agreements)
        event.save()
        for message in messages:
            message["dedup_key"] = message["dedup_key"].replace("{id}", str(event.pk))
        outbox_emails_store_many(messages)
    enqueue_after_commit(VALIDATE_TASK, claim.pk)
    return claim
