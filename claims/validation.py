"""The automatic validation report of a claim: advice for reviewers (R10).

`claim_report` reads a claim and the ledger and returns every check, pass,
fail or unknown with a reason, and the reward the eligible lines earn. It
writes nothing (`claims.services.claim_validate` stores the result) and runs a
fixed number of queries whatever the number of agreements on the claim.

Each check is stored as codes and values, never as sentences: a reviewer
reads it in their own language when the report is shown (claims/checks.py).

The criteria themselves live in `offers.eligibility`, shared with the offer
page and the claim form, so the three never disagree.
"""

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cashback.clock import program_today
from offers.eligibility import (
    CriterionOutcome,
    claim_window_outcome,
    excluded_program_outcome,
    sale_outcomes,
    territory_outcome,
)
from offers.models import Offer
from resellers.identifiers import company_name_key, org_number_match_key

from .checks import CheckReason, reward_in_words, stored
from .models import Claim, ClaimAgreement, DuplicateAttempt, OpenAgreement

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
CENT = Decimal("0.01")
R = CheckReason


@dataclass
class Check:
    """One check of the report; `agreement` is empty for claim-wide checks.

    `reason_code` says why, with the `values` it names (claims/checks.py
    words them).
    """

    code: str
    result: str
    reason_code: str
    values: dict[str, Any] = field(default_factory=dict)
    agreement: str = ""

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "result": self.result,
            "reason_code": str(self.reason_code),
            "values": {name: stored(value) for name, value in self.values.items()},
            "agreement": self.agreement,
        }


@dataclass
class RewardPart:
    """One part of how the reward was counted (its reason and values)."""

    reason_code: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "reason_code": str(self.reason_code),
            "values": {name: stored(value) for name, value in self.values.items()},
        }


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
    reward_counted: list[RewardPart] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "checks": [check.as_json() for check in self.checks],
            "lines": [asdict(line) for line in self.lines],
            "reward_amount": None
            if self.reward_amount is None
            else str(self.reward_amount),
            "reward_currency": self.reward_currency,
            "reward_counted": [part.as_json() for part in self.reward_counted],
            "generated_at": timezone.now().isoformat(),
        }

    @property
    def reward_explanation(self) -> str:
        """How the reward was counted, in the active language."""
        return reward_in_words(self.as_json())


def _result(passed: bool | None) -> str:
    return UNKNOWN if passed is None else (PASS if passed else FAIL)


def _from_outcome(outcome: CriterionOutcome, agreement: str = "") -> Check:
    return Check(
        outcome.code,
        _result(outcome.passed),
        outcome.reason_code,
        dict(outcome.values),
        agreement,
    )


def sold_by_check(row: OpenAgreement, reseller) -> Check:
    """Organisation number when the ledger has one, else the normalised name."""
    number = row.agreement_number
    ledger_number = org_number_match_key(row.reseller_org_number)
    same_name = company_name_key(row.reseller_name) == reseller.normalized_name
    if ledger_number:
        if ledger_number == org_number_match_key(reseller.org_number):
            return Check("sold_by", PASS, R.SOLD_BY_ORG_NUMBER, agreement=number)
        if same_name:
            return Check(
                "sold_by",
                UNKNOWN,
                R.SOLD_BY_ORG_NUMBER_UNDER_NAME,
                {"number": row.reseller_org_number},
                number,
            )
    elif same_name:
        return Check("sold_by", PASS, R.SOLD_BY_NAME, agreement=number)
    return Check("sold_by", FAIL, R.SOLD_BY_ANOTHER_COMPANY, agreement=number)


def _reward(
    offer: Offer, eligible: list[OpenAgreement]
) -> tuple[Decimal, list[str], RewardPart]:
    """The reward before the cap, the agreements left out, and how it was counted."""
    value = offer.reward_value
    currency = offer.reward_currency
    left_out: list[str] = []
    if offer.reward_basis == Offer.RewardBasis.PERCENT_OF_REVENUE:
        counted = [row for row in eligible if row.currency == currency]
        left_out = [row.agreement_number for row in eligible if row not in counted]
        revenue = sum((row.revenue for row in counted), Decimal(0))
        amount = revenue * value / Decimal(100)
        how = RewardPart(
            R.REWARD_PERCENT_OF_REVENUE,
            {"percent": value, "revenue": (revenue, currency)},
        )
    elif offer.reward_basis == Offer.RewardBasis.AMOUNT_PER_SEAT:
        seats = sum(row.seats for row in eligible)
        amount = seats * value
        how = RewardPart(
            R.REWARD_PER_SEAT, {"seats": seats, "value": (value, currency)}
        )
    else:
        customers = len({row.customer_id for row in eligible if row.new_customer})
        amount = customers * value
        how = RewardPart(
            R.REWARD_PER_NEW_CUSTOMER,
            {"count": customers, "value": (value, currency)},
        )
    return amount.quantize(CENT, rounding=ROUND_HALF_UP), left_out, how


def claim_report(claim: Claim) -> Report:
    """Every check of one claim and its reward, as codes and values."""
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
            checks.append(Check("in_ledger", FAIL, R.NOT_IN_LEDGER, agreement=number))
            lines.append(Line(number, found=False))
            continue
        line_checks = [
            Check("in_ledger", PASS, R.IN_LEDGER, agreement=number),
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
                    FAIL,
                    R.CLAIMED_ELSEWHERE,
                    {"reference": claimed_elsewhere[number]},
                    number,
                )
            )
        elif number in attempted_by_others:
            line_checks.append(
                Check(
                    "not_claimed_elsewhere",
                    UNKNOWN,
                    R.ATTEMPTED_BY_ANOTHER_COMPANY,
                    agreement=number,
                )
            )
        else:
            line_checks.append(
                Check(
                    "not_claimed_elsewhere",
                    PASS,
                    R.NOT_CLAIMED_ELSEWHERE,
                    agreement=number,
                )
            )
        if (
            offer.reward_basis == Offer.RewardBasis.PERCENT_OF_REVENUE
            and row.currency != offer.reward_currency
        ):
            line_checks.append(
                Check(
                    "currency",
                    UNKNOWN,
                    R.REVENUE_IN_OTHER_CURRENCY,
                    {"currency": row.currency, "reward": offer.reward_currency},
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
            _result(window.passed),
            window.reason_code,
            {"filed_on": filed_on, **window.values},
        )
    )

    amount, left_out, how = _reward(offer, eligible_rows)
    amount, capped = _capped(claim, amount)
    counted = [how, *capped]
    if left_out:
        counted.append(RewardPart(R.REWARD_LEFT_OUT, {"numbers": left_out}))
    results = {check.result for check in checks}
    outcome = FAIL if FAIL in results else UNKNOWN if UNKNOWN in results else PASS
    return Report(
        outcome=outcome,
        checks=checks,
        lines=lines,
        reward_amount=amount,
        reward_currency=offer.reward_currency,
        reward_counted=counted,
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
        PASS if passed else FAIL,
        R.NET_NEW_CUSTOMERS,
        {"count": len(customers), "minimum": minimum},
    )


def _capped(claim: Claim, amount: Decimal) -> tuple[Decimal, list[RewardPart]]:
    """The cap is per company and offer: other live claims use part of it."""
    cap = claim.offer.reward_cap
    if cap is None:
        return amount, []
    # What the other claims pay: a reviewer's adjustment where there is one.
    used = _active_sibling_claims(claim).aggregate(
        total=Sum(Coalesce("adjusted_reward_amount", "reward_amount"))
    )["total"] or Decimal(0)
    remaining = max(cap - used, Decimal(0))
    if amount > remaining:
        currency = claim.offer.reward_currency
        return remaining, [
            RewardPart(
                R.REWARD_CAPPED,
                {
                    "amount": (amount, currency),
                    "remaining": (remaining, currency),
                    "cap": (cap, currency),
                    "used": (used, currency),
                },
            )
        ]
    return amount, []
