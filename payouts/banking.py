"""Checks on submitted bank details (R3, R12), with schwifty and cleanco.

Each check returns the cleaned value or raises a ValidationError on the form
field it concerns, in the user's language.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from resellers.identifiers import company_name_key
from resellers.models import Reseller


@dataclass(frozen=True)
class CleanAccount:
    """A validated account: the normalised number is what gets encrypted."""

    number: str
    is_iban: bool
    bank_code: str
    bic: str
    bank_country: str


def beneficiary_check(*, beneficiary_name: str, reseller: Reseller) -> str:
    """The beneficiary must be the company itself: its name's key is the
    company's stored normalised name (R3)."""
    legal_name = reseller.legal_name
    name = " ".join((beneficiary_name or "").split())
    if not name or company_name_key(name) != reseller.normalized_name:
        raise ValidationError(
            {
                "beneficiary_name": _(
                    "The account must be in the company's name: enter %(name)s "
                    "as the beneficiary. Accounts of persons or other companies "
                    "cannot be used."
                )
                % {"name": legal_name}
            }
        )
    return name


def account_check(
    *,
    iban: str,
    account_number: str,
    bank_code: str,
    bic: str,
    bank_country: str,
) -> CleanAccount:
    """Validate an IBAN (or a national number and bank code) and the BIC."""
    errors: dict[str, str] = {}
    bank_country = (bank_country or "").upper()
    parsed_bic = None
    if bic:
        try:
            parsed_bic = BIC(bic)
        except SchwiftyException:
            errors["bic"] = _(
                "This is not a valid BIC: it has 8 or 11 letters and digits, "
                "for example ESSESESS."
            )
    if iban:
        try:
            parsed = IBAN(iban)
        except SchwiftyException as error:
            errors["iban"] = _(
                "This IBAN is not valid (%(problem)s): check it against your "
                "bank statement."
            ) % {"problem": str(error).rstrip(".").lower()}
        else:
            if bank_country and parsed.country_code != bank_country:
                errors["bank_country"] = _(
                    "The bank country must be the IBAN's country (%(country)s)."
                ) % {"country": parsed.country_code}
            if parsed_bic and parsed_bic.country_code != parsed.country_code:
                errors["bic"] = _(
                    "The BIC belongs to a bank in %(bic_country)s but the IBAN is "
                    "from %(iban_country)s: check both."
                ) % {
                    "bic_country": parsed_bic.country_code,
                    "iban_country": parsed.country_code,
                }
            if not bic and parsed.bic is None:
                errors["bic"] = _("Enter the bank's BIC.")
        if errors:
            raise ValidationError(errors)
        return CleanAccount(
            number=parsed.compact,
            is_iban=True,
            bank_code=parsed.bank_code or "",
            bic=str(parsed_bic or parsed.bic or ""),
            bank_country=parsed.country_code,
        )
    number = re.sub(r"[\s-]+", "", account_number or "").upper()
    code = re.sub(r"[\s-]+", "", bank_code or "").upper()
    if not number:
        errors["iban"] = _(
            "Enter the IBAN, or the account number and bank code where your "
            "country has no IBAN."
        )
    elif not re.fullmatch(r"[0-9A-Z]{4,34}", number):
        errors["account_number"] = _(
            "The account number may contain only letters and digits (4 to 34)."
        )
    if number and not code:
        errors["bank_code"] = _("Enter the bank code of the account.")
    if not bic:
        errors.setdefault("bic", _("Enter the bank's BIC."))
    if not bank_country:
        errors["bank_country"] = _("Choose the bank's country.")
    elif parsed_bic and parsed_bic.country_code != bank_country:
        errors["bic"] = _(
            "The BIC belongs to a bank in %(bic_country)s, not in %(country)s."
        ) % {"bic_country": parsed_bic.country_code, "country": bank_country}
    if errors:
        raise ValidationError(errors)
    return CleanAccount(
        number=f"{bank_country}:{code}:{number}",
        is_iban=False,
        bank_code=code,
        bic=str(parsed_bic),
        bank_country=bank_country,
    )
