"""The automatic validation report of a claim: advice for reviewers (R10).

`claim_report` reads a claim and the ledger and returns every check, pass,
fail or unknown with a reason, and the reward the eligible lines earn. It
writes nothing (`claims.services.claim_validate` stores the result) and runs a
fixed number of queries whatever the number of agreements on the claim.

The criteria themselves live in `offers.eligibility`, shared with the offer
page and the claim form, so the three never disagree.
"""

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cashback.clock import program_today
from cashback.money import money, percent
from offers.eligibility import (
    CriterionOutcome,
    claim_window_outcome,
    excluded_program_outcome,
    sale_outcomes,
    territory_outcome,
)
from offers.models import Offer
from resellers.identifiers import company_name_key, org_number_match_key

from .models import Claim, ClaimAgreement, DuplicateAttempt, OpenAgreement

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
CENT = Decimal("0.01")


@dataclass
class Check:
    """One check of the report; `agreement` is empty for claim-wide checks."""

    code: str
    label: str
    result: str
    reason: str
    agreement: str = ""


@dataclass
class Line:
    """One claimed agreement as the ledger knows it."""

    agreement_number: str
    found: bool
    eligible: bool = False
    customer_id: str = ""
    new_customer: bool = False
    seats: int = 0
    revenue: str = "0"
    currency: str = ""
    sale_date: str = ""


@dataclass
class Report:
    """The whole report, stored as JSON on the claim."""

    outcome: str
    checks: list[Check] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    reward_amount: Decimal | None = None
    reward_currency: str = ""
    reward_explanation: str = ""

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "checks": [asdict(check) for check in self.checks],
            "lines": [asdict(line) for line in self.lines],
            "reward_amount": None
            if self.reward_amount is None
            else str(self.reward_amount),
            "reward_currency": self.reward_currency,
            "reward_explanation": self.reward_explanation,
            "generated_at": timezone.now().isoformat(),
        }


def _result(passed: bool | None) -> str:
    return UNKNOWN if passed is None else (PASS if passed else FAIL)


def _from_outcome(outcome: CriterionOutcome, agreement: str = "") -> Check:
    return Check(
        outcome.code,
        str(outcome.label),
        _result(outcome.passed),
        str(outcome.reason),
        agreement,
    )


def sold_by_check(row: OpenAgreement, reseller) -> Check:
    """Organisation number when the ledger has one, else the normalised name."""
    label = _("Sold by this company")
    ledger_number = org_number_match_key(row.reseller_org_number)
    if ledger_number:
        if ledger_number == org_number_match_key(reseller.org_number):
            return Check(
                "sold_by",
                label,
                PASS,
                _("The ledger names your organisation number."),
                row.agreement_number,
            )
        if company_name_key(row.reseller_name) == reseller.normalized_name:
            return Check(
                "sold_by",
                label,
                UNKNOWN,
                _(
                    "The ledger has organisation number %(number)s under your "
                    "company name; a reviewer checks it."
                )
                % {"number": row.reseller_org_number},
                row.agreement_number,
            )
        return Check(
            "sold_by",
            label,
            FAIL,
            _("The ledger records this sale for another company."),
            row.agreement_number,
        )
    if company_name_key(row.reseller_name) == reseller.normalized_name:
        return Check(
            "sold_by",
            label,
            PASS,
            _("The ledger names your company."),
            row.agreement_number,
        )
    return Check(
        "sold_by",
        label,
        FAIL,
        _("The ledger records this sale for another company."),
        row.agreement_number,
    )


def _reward(
    offer: Offer, eligible: list[OpenAgreement]
) -> tuple[Decimal, list[str], str]:
    """The reward before the cap, the agreements left out, and how it was counted."""
    value = offer.reward_value
    left_out: list[str] = []
    if offer.reward_basis == Offer.RewardBasis.PERCENT_OF_REVENUE:
        counted = [row for row in eligible if row.currency == offer.reward_currency]
        left_out = [row.agreement_number for row in eligible if row not in counted]
        revenue = sum((row.revenue for row in counted), Decimal(0))
        amount = revenue * value / Decimal(100)
        explanation = _("%(percent)s of eligible revenue %(revenue)s") % {
            "percent": percent(value),
            "revenue": money(revenue, offer.reward_currency),
        }
    elif offer.reward_basis == Offer.RewardBasis.AMOUNT_PER_SEAT:
        seats = sum(row.seats for row in eligible)
        amount = seats * value
        explanation = _("%(seats)s eligible seats × %(value)s") % {
            "seats": seats,
            "value": money(value, offer.reward_currency),
        }
    else:
        customers = len({row.customer_id for row in eligible if row.new_customer})
        amount = customers * value
        explanation = _("%(count)s net new customers × %(value)s") % {
            "count": customers,
            "value": money(value, offer.reward_currency),
        }
    return amount.quantize(CENT, rounding=ROUND_HALF_UP), left_out, explanation


def claim_report(claim: Claim) -> Report:
    """Every check of one claim and its reward, in the program's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _claim_report(claim)


def _claim_report(claim: Claim) -> Report:
    offer = claim.offer
    reseller = claim.reseller
    numbers = list(
        claim.agreements.order_by("pk").values_list("agreement_number", flat=True)
    )
    ledger = {
        row.agreement_number: row
        for row in OpenAgreement.objects.filter(agreement_number__in=numbers)
    }
    product_ids = set(offer.products.values_list("pk", flat=True))
    licence_type_ids = set(offer.licence_types.values_list("pk", flat=True))
    segment_ids = set(offer.segments.values_list("pk", flat=True))
    claimed_elsewhere = dict(
        ClaimAgreement.objects.filter(
            offer=offer, agreement_number__in=numbers, is_active=True
        )
        .exclude(claim=claim)
        .values_list("agreement_number", "claim__reference")
    )
    attempted_by_others = set(
        DuplicateAttempt.objects.filter(offer=offer, agreement_number__in=numbers)
        .exclude(reseller=reseller)
        .values_list("agreement_number", flat=True)
    )

    checks: list[Check] = []
    lines: list[Line] = []
    eligible_rows: list[OpenAgreement] = []
    for number in numbers:
        row = ledger.get(number)
        if row is None:
            checks.append(
                Check(
                    "in_ledger",
                    _("In the agreement ledger"),
                    FAIL,
                    _("No Open agreement with this number is in the ledger."),
                    number,
                )
            )
            lines.append(Line(number, found=False))
            continue
        line_checks = [
            Check(
                "in_ledger",
                _("In the agreement ledger"),
                PASS,
                _("Found in the ledger."),
                number,
            ),
            sold_by_check(row, reseller),
            *(
                _from_outcome(outcome, number)
                for outcome in sale_outcomes(
                    offer=offer,
                    sale=row,
                    product_ids=product_ids,
                    licence_type_ids=licence_type_ids,
                    segment_ids=segment_ids,
                )
            ),
        ]
        if number in claimed_elsewhere:
            line_checks.append(
                Check(
                    "not_claimed_elsewhere",
                    _("Not claimed elsewhere"),
                    FAIL,
                    _("Also claimed in %(reference)s.")
                    % {"reference": claimed_elsewhere[number]},
                    number,
                )
            )
        elif number in attempted_by_others:
            line_checks.append(
                Check(
                    "not_claimed_elsewhere",
                    _("Not claimed elsewhere"),
                    UNKNOWN,
                    _("Another company also tried to claim this agreement."),
                    number,
                )
            )
        else:
            line_checks.append(
                Check(
                    "not_claimed_elsewhere",
                    _("Not claimed elsewhere"),
                    PASS,
                    _("No other claim on this offer covers it."),
                    number,
                )
            )
        if (
            offer.reward_basis == Offer.RewardBasis.PERCENT_OF_REVENUE
            and row.currency != offer.reward_currency
        ):
            line_checks.append(
                Check(
                    "currency",
                    _("Revenue currency"),
                    UNKNOWN,
                    _(
                        "Revenue is in %(currency)s, the reward in %(reward)s; it is "
                        "left out of the amount for a reviewer to convert."
                    )
                    % {"currency": row.currency, "reward": offer.reward_currency},
                    number,
                )
            )
        eligible = all(check.result != FAIL for check in line_checks)
        if eligible:
            eligible_rows.append(row)
        checks.extend(line_checks)
        lines.append(
            Line(
                number,
                found=True,
                eligible=eligible,
                customer_id=row.customer_id,
                new_customer=row.new_customer,
                seats=row.seats,
                revenue=str(row.revenue),
                currency=row.currency,
                sale_date=row.sale_date.isoformat(),
            )
        )

    checks.append(_net_new_customers_check(claim, eligible_rows))
    checks.append(_from_outcome(territory_outcome(offer, reseller)))
    checks.append(
        _from_outcome(excluded_program_outcome(offer, list(reseller.memberships.all())))
    )
    filed_on = program_today(claim.created_at)
    window = claim_window_outcome(offer, filed_on)
    checks.append(
        Check(
            "filed_in_window",
            _("Filed inside the claim window"),
            _result(window.passed),
            _("Filed on %(date)s. %(detail)s")
            % {"date": date_format(filed_on), "detail": window.reason},
        )
    )

    amount, left_out, explanation = _reward(offer, eligible_rows)
    amount, explanation = _capped(claim, amount, explanation)
    if left_out:
        explanation += " " + _("(left out: %(numbers)s)") % {
            "numbers": ", ".join(left_out)
        }
    results = {check.result for check in checks}
    outcome = FAIL if FAIL in results else UNKNOWN if UNKNOWN in results else PASS
    return Report(
        outcome=outcome,
        checks=checks,
        lines=lines,
        reward_amount=amount,
        reward_currency=offer.reward_currency,
        reward_explanation=explanation,
    )


def _active_sibling_claims(claim: Claim):
    """The company's other claims on the offer that may still be paid."""
    return (
        Claim.objects.filter(reseller=claim.reseller, offer=claim.offer)
        .exclude(pk=claim.pk)
        .may_be_paid()
    )


def _net_new_customers_check(claim: Claim, eligible_rows: list[OpenAgreement]) -> Check:
    """Counted over all the company's live claims on the offer (per-sale mode)."""
    minimum = claim.offer.min_net_new_customers
    customers = {row.customer_id for row in eligible_rows if row.new_customer}
    if claim.claim_mode == Offer.ClaimMode.ONE_PER_SALE and minimum:
        sibling_numbers = ClaimAgreement.objects.filter(
            claim__in=_active_sibling_claims(claim), is_active=True
        ).values("agreement_number")
        customers |= set(
            OpenAgreement.objects.filter(
                agreement_number__in=sibling_numbers, new_customer=True
            ).values_list("customer_id", flat=True)
        )
    passed = len(customers) >= minimum
    return Check(
        "net_new_customers",
        _("Net new customers"),
        PASS if passed else FAIL,
        _("%(count)s net new customers on eligible sales; the minimum is %(minimum)s.")
        % {"count": len(customers), "minimum": minimum},
    )


def _capped(claim: Claim, amount: Decimal, explanation: str) -> tuple[Decimal, str]:
    """The cap is per company and offer: other live claims use part of it."""
    cap = claim.offer.reward_cap
    if cap is None:
        return amount, explanation
    # What the other claims pay: a reviewer's adjustment where there is one.
    used = _active_sibling_claims(claim).aggregate(
        total=Sum(Coalesce("adjusted_reward_amount", "reward_amount"))
    )["total"] or Decimal(0)
    remaining = max(cap - used, Decimal(0))
    if amount > remaining:
        return remaining, explanation + " " + _(
            "= %(amount)s, capped at %(remaining)s (cap %(cap)s, %(used)s used by "
            "other claims)"
        ) % {"amount": amount, "remaining": remaining, "cap": cap, "used": used}
    return amount, explanation
