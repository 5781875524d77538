"""The one home of how a VAT document treats VAT (R25): its category, rate and
legal wording, from the document's kind and the two parties' countries.

- a settlement note (indirect rebate, EU case C-317/94 Elida Gibbs) is outside
  the scope of VAT: no VAT, and it says why;
- supplier and customer in one country: that country's rate from
  settings.VENDOR_VAT_RATES (never from code), the amount paid includes it;
- customer in another EU member state: zero-rated, the customer accounts for
  the VAT (reverse charge), said in Swedish and English;
- customer outside the EU: not subject to Swedish VAT, said in both languages.

Category codes are UNCL5305 as Peppol BIS Billing 3.0 uses them.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from stdnum.eu.vat import MEMBER_STATES

from offers.models import Offer

CENT = Decimal("0.01")

# Legal wording, printed in both languages whatever the reader's language.
REVERSE_CHARGE = {
    "sv": "Omvänd betalningsskyldighet: köparen redovisar mervärdesskatten "
    "(artikel 196 i rådets direktiv 2006/112/EG).",
    "en": "Reverse charge: the customer accounts for the VAT "
    "(Article 196 of Council Directive 2006/112/EC).",
}
OUTSIDE_EU = {
    "sv": "Omsättningen är inte skattepliktig i Sverige: tjänsten omsätts utanför EU.",
    "en": "Not subject to Swedish VAT: the supply takes place outside the EU.",
}
INDIRECT_REBATE = {
    "sv": "Indirekt rabatt utan mervärdesskatt (EU-domstolens mål C-317/94, "
    "Elida Gibbs): ingen kreditnota utfärdas.",
    "en": "Indirect rebate, no VAT (Court of Justice of the EU, case C-317/94, "
    "Elida Gibbs): no credit note is issued.",
}
SELF_BILLING = {"sv": "Självfakturering", "en": "Self-billing"}


@dataclass(frozen=True)
class VatTreatment:
    category: str  # UNCL5305: S standard, AE reverse charge, G/O outside scope
    rate: Decimal  # percent
    wording: dict[str, str] | None  # {"sv": ..., "en": ...}


def _is_eu(country: str) -> bool:
    code = country.lower()
    return ("el" if code == "gr" else code) in MEMBER_STATES


def domestic_rate(country: str) -> Decimal:
    """The VAT rate of `country` as configured; a missing one stops the issue."""
    rates = {code.upper(): value for code, value in settings.VENDOR_VAT_RATES.items()}
    if country.upper() not in rates:
        raise ImproperlyConfigured(
            f"VENDOR_VAT_RATES has no rate for {country}: set it, e.g. "
            f"VENDOR_VAT_RATES={country}=25."
        )
    return Decimal(str(rates[country.upper()]))


def vat_treatment(*, kind: str, supplier_country: str, customer_country: str):
    """How a document of `kind` between these two countries treats VAT."""
    if kind == Offer.VatDocumentKind.SETTLEMENT_NOTE:
        return VatTreatment("O", Decimal(0), INDIRECT_REBATE)
    if supplier_country.upper() == customer_country.upper():
        return VatTreatment("S", domestic_rate(supplier_country), None)
    if _is_eu(customer_country) and _is_eu(supplier_country):
        return VatTreatment("AE", Decimal(0), REVERSE_CHARGE)
    return VatTreatment("O", Decimal(0), OUTSIDE_EU)


def vat_split(total: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(taxable amount, VAT) of an amount paid that includes VAT at `rate`."""
    if not rate:
        return total, Decimal("0.00")
    taxable = (total * 100 / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return taxable, total - taxable
