"""What a statement and a VAT document say, frozen when they are issued.

Each builder returns plain JSON (decimals and dates as strings) in the
document's language: the document shows these words and figures for ever,
whatever later happens to the company, the offer or the catalogue.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django_countries import countries

from claims.models import RewardAdjustment, reason_in_words
from payouts.bank.models import BatchPayment
from payouts.models import Payout
from resellers.models import Reseller

from .vat import SELF_BILLING, VatTreatment, vat_split


def _money(value: Decimal | None) -> str:
    return "" if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _country_name(code: str) -> str:
    return str(countries.name(code)) or code


def vendor_party() -> dict[str, str]:
    """The vendor as its settings name it (never code)."""
    return {
        "name": settings.VENDOR_LEGAL_NAME,
        "org_number": settings.VENDOR_ORG_NUMBER,
        "vat_number": settings.VENDOR_VAT_NUMBER,
        "street": settings.VENDOR_STREET_ADDRESS,
        "postal_code": settings.VENDOR_POSTAL_CODE,
        "city": settings.VENDOR_CITY,
        "country": settings.VENDOR_COUNTRY.upper(),
        "country_name": _country_name(settings.VENDOR_COUNTRY.upper()),
    }


def reseller_party(reseller: Reseller) -> dict[str, str]:
    return {
        "name": reseller.legal_name,
        "org_number": reseller.org_number,
        "vat_number": reseller.vat_number,
        "street": reseller.street_address,
        "postal_code": reseller.postal_code,
        "city": reseller.city,
        "country": reseller.country.code,
        "country_name": _country_name(reseller.country.code),
    }


def claim_line(payout: Payout, *, amount_paid: Decimal) -> dict[str, Any]:
    """One claim of a payment: what was computed, corrected and paid."""
    claim, offer = payout.claim, payout.offer
    language = translation.get_language() or "en"
    adjustments = [
        {
            "computed": _money(adjustment.computed_amount),
            "amount": _money(adjustment.amount),
            "currency": adjustment.currency,
            "reason": reason_in_words(adjustment.reason_code, adjustment.reason),
        }
        for adjustment in claim.reward_adjustments.filter(
            status=RewardAdjustment.Status.APPLIED
        ).order_by("requested_at", "pk")
    ]
    return {
        "claim_reference": claim.reference,
        "offer": offer.title_sv if language == "sv" else offer.title_en,
        "agreement_numbers": sorted(
            claim.agreements.values_list("agreement_number", flat=True)
        ),
        "computed_reward": _money(claim.reward_amount),
        "reward": _money(payout.amount),
        "reward_currency": payout.currency,
        "adjustments": adjustments,
        "amount_paid": _money(amount_paid),
    }


def statement_content(
    *, payout: Payout, line: BatchPayment, booked_on: dt.date
) -> dict[str, Any]:
    """The remittance advice of one payment, in the current language."""
    rate = payout.converted_with
    converted = payout.payout_currency != payout.currency
    account = payout.bank_account
    return {
        "company": reseller_party(payout.reseller),
        "vendor": vendor_party(),
        "payment_id": line.end_to_end_id,
        "remittance": f"{settings.PROGRAM_NAME} {line.end_to_end_id}",
        "batch": line.batch.message_id,
        "execution_date": booked_on.isoformat(),
        "masked_account": account.masked_account if account else "",
        "currency": line.currency,
        "amount": _money(line.amount),
        "reward_currency": payout.currency,
        "exchange_rate": str(payout.exchange_rate) if converted else "",
        "exchange_rate_date": rate.rate_date.isoformat() if converted and rate else "",
        "lines": [claim_line(payout, amount_paid=line.amount)],
    }


def vat_content(
    *,
    kind: str,
    kind_label: str,
    number: str,
    issue_date: dt.date,
    statement: dict[str, Any],
    treatment: VatTreatment,
    self_billed: bool,
    sign: int = 1,
    corrects: dict[str, str] | None = None,
    correction_reason: str = "",
    sale_period: tuple[dt.date, dt.date],
) -> dict[str, Any]:
    """A VAT document for the payment `statement` describes. The supplier is
    the vendor, except on a self-billed invoice (the reseller supplies, the
    vendor issues in its name). `sign` -1 reverses an earlier document."""
    total = Decimal(statement["amount"]) * sign
    taxable, vat = vat_split(total, treatment.rate)
    vendor, company = statement["vendor"], statement["company"]
    supplier, customer = (company, vendor) if self_billed else (vendor, company)
    return {
        "kind": kind,
        "kind_label": kind_label,
        "number": number,
        "issue_date": issue_date.isoformat(),
        "currency": statement["currency"],
        "supplier": supplier,
        "customer": customer,
        "self_billing": SELF_BILLING if self_billed else None,
        "payment_id": statement["payment_id"],
        "sale_period": [sale_period[0].isoformat(), sale_period[1].isoformat()],
        "lines": [
            {**line, "amount_paid": _money(Decimal(line["amount_paid"]) * sign)}
            for line in statement["lines"]
        ],
        "vat": [
            {
                "category": treatment.category,
                "rate": str(treatment.rate),
                "taxable": _money(taxable),
                "vat": _money(vat),
            }
        ],
        "taxable_total": _money(taxable),
        "vat_total": _money(vat),
        "total": _money(total),
        "wording": treatment.wording,
        "corrects": corrects,
        "correction_reason": correction_reason,
    }
