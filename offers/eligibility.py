"""Eligibility (R5, R6, R7): one place that says whether a reseller can claim an
offer, and whether a sale counts, criterion by criterion with a reason.

The offer page, the claim form and the claims validation engine all use these
functions, so a reseller never sees one answer on the page and another on the
form. Nothing here writes; the batch form takes what it needs in a fixed
number of queries whatever the number of offers.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# Also imported from here by the claims and payouts services.
from cashback.clock import program_today
from resellers.models import ProgramMembership, Reseller

from .models import Offer


class OutcomeReason(StrEnum):
    """Why a criterion the claims validation report repeats passed or failed.

    The report stores this code and `CriterionOutcome.values`, not the
    reseller's sentence, and words them for the reviewer in the reviewer's
    language when read (claims/checks.py words every code).
    """

    TERRITORY_OPEN = "territory_open"
    TERRITORY_CLOSED = "territory_closed"
    NO_PROGRAM_EXCLUDED = "no_program_excluded"
    EXCLUDED_PROGRAM_MEMBER = "excluded_program_member"
    EXCLUDED_PROGRAM_NOT_MEMBER = "excluded_program_not_member"
    WINDOW_NOT_OPEN = "window_not_open"
    WINDOW_CLOSED = "window_closed"
    WINDOW_OPEN = "window_open"
    SOLD_INSIDE_PERIOD = "sold_inside_period"
    SOLD_OUTSIDE_PERIOD = "sold_outside_period"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    SEATS_MINIMUM = "seats_minimum"
    SEATS_NO_MINIMUM = "seats_no_minimum"


@dataclass(frozen=True)
class CriterionOutcome:
    """One criterion: passed is True, False, or None when it cannot be known yet.

    `label` and `reason` are the reseller's words in the active language;
    `reason_code` and `values` (dates, numbers, names as data) are the same
    reason for a reader in another language.
    """

    code: str
    label: str | Promise
    passed: bool | None
    reason: str | Promise = ""
    reason_code: str = ""
    values: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Eligibility:
    """Every criterion's outcome; eligible only when none failed."""

    offer: Offer
    outcomes: list[CriterionOutcome] = field(default_factory=list)

    @property
    def is_eligible(self) -> bool:
        return all(outcome.passed is not False for outcome in self.outcomes)

    @property
    def failures(self) -> list[CriterionOutcome]:
        return [outcome for outcome in self.outcomes if outcome.passed is False]

    def outcome(self, code: str) -> CriterionOutcome:
        return next(outcome for outcome in self.outcomes if outcome.code == code)


def periods_overlap(
    start: dt.date | None,
    end: dt.date | None,
    other_start: dt.date | None,
    other_end: dt.date | None,
) -> bool:
    """Closed intervals (both days included); None at either end is open-ended."""
    return (end is None or other_start is None or end >= other_start) and (
        other_end is None or start is None or other_end >= start
    )


def period_text(start: dt.date | None, end: dt.date | None) -> str:
    """A closed period in words and the reader's date format; None is open-ended."""
    if start and end:
        return _("%(start)s – %(end)s") % {
            "start": date_format(start),
            "end": date_format(end),
        }
    if start:
        return _("from %(start)s") % {"start": date_format(start)}
    if end:
        return _("until %(end)s") % {"end": date_format(end)}
    return str(_("at any time"))


def territory_outcome(offer: Offer, reseller: Reseller) -> CriterionOutcome:
    label = _("Territory")
    codes = [country.code for country in offer.territories]
    values = {"country": reseller.country.code}
    if reseller.country.code in codes:
        return CriterionOutcome(
            "territory",
            label,
            True,
            _("Your country takes part."),
            OutcomeReason.TERRITORY_OPEN,
            values,
        )
    return CriterionOutcome(
        "territory",
        label,
        False,
        _("The offer is not open to resellers in %(country)s.")
        % {"country": reseller.country.name},
        OutcomeReason.TERRITORY_CLOSED,
        values,
    )


def excluded_program_outcome(
    offer: Offer, memberships: Iterable[ProgramMembership]
) -> CriterionOutcome:
    """Not eligible when a membership of the excluded program overlaps its period.

    A missing start or end of the period is open-ended, so a program excluded
    without dates excludes every member, whenever they were one. Program names
    are compared without regard to case, as imports may differ.
    """
    label = _("Excluded program")
    if not offer.excluded_program:
        return CriterionOutcome(
            "excluded_program",
            label,
            True,
            _("No program excluded."),
            OutcomeReason.NO_PROGRAM_EXCLUDED,
        )
    program = offer.excluded_program.casefold()
    for membership in memberships:
        if membership.program.casefold() == program and periods_overlap(
            membership.start_date,
            membership.end_date,
            offer.excluded_from,
            offer.excluded_until,
        ):
            return CriterionOutcome(
                "excluded_program",
                label,
                False,
                _(
                    "Your company was a member of %(program)s (%(membership)s), "
                    "which overlaps the excluded period (%(period)s)."
                )
                % {
                    "program": offer.excluded_program,
                    "membership": period_text(
                        membership.start_date, membership.end_date
                    ),
                    "period": period_text(offer.excluded_from, offer.excluded_until),
                },
                OutcomeReason.EXCLUDED_PROGRAM_MEMBER,
                {
                    "program": offer.excluded_program,
                    "membership": (membership.start_date, membership.end_date),
                    "period": (offer.excluded_from, offer.excluded_until),
                },
            )
    return CriterionOutcome(
        "excluded_program",
        label,
        True,
        _("Your company was not a member of %(program)s in the excluded period.")
        % {"program": offer.excluded_program},
        OutcomeReason.EXCLUDED_PROGRAM_NOT_MEMBER,
        {"program": offer.excluded_program},
    )


def claim_window_outcome(offer: Offer, today: dt.date) -> CriterionOutcome:
    label = _("Claim window")
    if today < offer.claim_opens_on:
        return CriterionOutcome(
            "claim_window",
            label,
            False,
            _("Claims open on %(date)s.") % {"date": date_format(offer.claim_opens_on)},
            OutcomeReason.WINDOW_NOT_OPEN,
            {"opens_on": offer.claim_opens_on},
        )
    if today > offer.claim_closes_on:
        return CriterionOutcome(
            "claim_window",
            label,
            False,
            _("Claims closed after %(date)s.")
            % {"date": date_format(offer.claim_closes_on)},
            OutcomeReason.WINDOW_CLOSED,
            {"closes_on": offer.claim_closes_on},
        )
    return CriterionOutcome(
        "claim_window",
        label,
        True,
        _("Claims can be filed until %(date)s.")
        % {"date": date_format(offer.claim_closes_on)},
        OutcomeReason.WINDOW_OPEN,
        {"closes_on": offer.claim_closes_on},
    )


def existing_claim_outcome(
    offer: Offer, existing_reference: str | None
) -> CriterionOutcome:
    label = _("Earlier claims")
    if offer.claim_mode != Offer.ClaimMode.ONE_PER_RESELLER:
        return CriterionOutcome(
            "existing_claim", label, True, _("File one claim for each sale.")
        )
    if existing_reference:
        return CriterionOutcome(
            "existing_claim",
            label,
            False,
            _("Your company has already filed %(reference)s for this offer.")
            % {"reference": existing_reference},
        )
    return CriterionOutcome(
        "existing_claim", label, True, _("Your company has not filed a claim yet.")
    )


def offer_status_outcome(offer: Offer) -> CriterionOutcome:
    """Only a published offer takes claims (a draft or archived one does not)."""
    label = _("Offer status")
    if offer.status == Offer.Status.PUBLISHED:
        return CriterionOutcome("offer_status", label, True, _("Published."))
    return CriterionOutcome(
        "offer_status", label, False, _("The offer is not open to claims.")
    )


def reseller_status_outcome(reseller: Reseller) -> CriterionOutcome:
    label = _("Company registration")
    if reseller.is_active:
        return CriterionOutcome("reseller_status", label, True, _("Registered."))
    return CriterionOutcome(
        "reseller_status",
        label,
        False,
        _("Your company's registration is being checked by the program team."),
    )


def offer_eligibility(
    *,
    offer: Offer,
    reseller: Reseller,
    memberships: Sequence[ProgramMembership],
    existing_claim_reference: str | None,
    today: dt.date | None = None,
) -> Eligibility:
    """What can be known before a claim: company, territory, program, window, R7.

    `existing_claim_reference` is the reseller's claim on this offer that still
    counts (any status but withdrawn), or None. A draft or archived offer adds
    a failing "offer status" outcome; a published one does not mention it.
    """
    today = today or program_today()
    outcomes = []
    if offer.status != Offer.Status.PUBLISHED:
        outcomes.append(offer_status_outcome(offer))
    return Eligibility(
        offer=offer,
        outcomes=[
            *outcomes,
            reseller_status_outcome(reseller),
            territory_outcome(offer, reseller),
            excluded_program_outcome(offer, memberships),
            claim_window_outcome(offer, today),
            existing_claim_outcome(offer, existing_claim_reference),
        ],
    )


def offers_eligibility(
    *, offers: Sequence[Offer], reseller: Reseller, today: dt.date | None = None
) -> dict[int, Eligibility]:
    """Eligibility of many offers for one reseller in two queries, by offer id."""
    # One "today" for the whole batch, even when the request spans midnight.
    today = today or program_today()
    memberships = list(reseller.memberships.all())
    # Reverse accessor: offers cannot import claims (dependencies point one
    # way), but the accessor carries the claims app's own queryset methods.
    existing = dict(
        reseller.claims.filter(offer__in=offers)
        .counting()
        .order_by("created_at")
        .values_list("offer_id", "reference")
    )
    return {
        offer.pk: offer_eligibility(
            offer=offer,
            reseller=reseller,
            memberships=memberships,
            existing_claim_reference=existing.get(offer.pk),
            today=today,
        )
        for offer in offers
    }


class Sale(Protocol):
    """What the sale criteria read from a ledger row (claims.OpenAgreement)."""

    sale_date: dt.date
    product_id: int
    licence_type_id: int
    customer_segment_id: int
    seats: int


def sale_outcomes(
    *,
    offer: Offer,
    sale: Sale,
    product_ids: set[int],
    licence_type_ids: set[int],
    segment_ids: set[int],
) -> list[CriterionOutcome]:
    """Whether one sale counts for the offer. An empty id set means "any".

    The id sets are passed in so that a claim with many agreements reads the
    offer's criteria once.
    """
    outcomes = []
    in_period = offer.sale_starts_on <= sale.sale_date <= offer.sale_ends_on
    outcomes.append(
        CriterionOutcome(
            "sale_date",
            _("Sale date"),
            in_period,
            _("Sold on %(date)s, inside the sale period.")
            % {"date": date_format(sale.sale_date)}
            if in_period
            else _("Sold on %(date)s, outside the sale period %(start)s – %(end)s.")
            % {
                "date": date_format(sale.sale_date),
                "start": date_format(offer.sale_starts_on),
                "end": date_format(offer.sale_ends_on),
            },
            OutcomeReason.SOLD_INSIDE_PERIOD
            if in_period
            else OutcomeReason.SOLD_OUTSIDE_PERIOD,
            {
                "date": sale.sale_date,
                "start": offer.sale_starts_on,
                "end": offer.sale_ends_on,
            },
        )
    )
    for code, label, value, allowed in (
        ("product", _("Product"), sale.product_id, product_ids),
        ("licence_type", _("Licence type"), sale.licence_type_id, licence_type_ids),
        ("segment", _("Customer segment"), sale.customer_segment_id, segment_ids),
    ):
        passed = not allowed or value in allowed
        outcomes.append(
            CriterionOutcome(
                code,
                label,
                passed,
                _("Eligible.") if passed else _("Not among the offer's eligible ones."),
                OutcomeReason.ELIGIBLE if passed else OutcomeReason.NOT_ELIGIBLE,
            )
        )
    enough_seats = sale.seats >= offer.min_seats_per_agreement
    seats = ngettext("%(seats)s seat", "%(seats)s seats", sale.seats) % {
        "seats": sale.seats
    }
    outcomes.append(
        CriterionOutcome(
            "seats",
            _("Seats"),
            enough_seats,
            _("%(seats)s; the minimum is %(minimum)s.")
            % {"seats": seats, "minimum": offer.min_seats_per_agreement}
            if offer.min_seats_per_agreement
            else _("%(seats)s; no minimum.") % {"seats": seats},
            OutcomeReason.SEATS_MINIMUM
            if offer.min_seats_per_agreement
            else OutcomeReason.SEATS_NO_MINIMUM,
            {"seats": sale.seats, "minimum": offer.min_seats_per_agreement},
        )
    )
    return outcomes
