"""Organisation and VAT numbers: validated for the company's country with
python-stdnum and stored in one normalised (compact) form; and the key that
company names are compared on.

`org_number_validate` checks a number a user types for the company's country
and returns its stored form; `org_number_match_key` only strips a number to
letters and digits so that "556036-0793" and "5560360793" compare equal
(the ledger's numbers are not checked, only matched).
"""

import re
from types import ModuleType

from cleanco import basename
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumError

# Which python-stdnum module checks a company registration number per country.
ORG_NUMBER_MODULES = {
    "SE": "orgnr",  # organisationsnummer
    "NO": "orgnr",  # organisasjonsnummer
    "DK": "cvr",  # CVR-nummer
    "FI": "ytunnus",  # Y-tunnus
    "DE": "handelsregisternummer",  # court + HRA/HRB + number
    "BE": "vat",  # the enterprise number is the VAT number's digits
    "FR": "siren",
    "EE": "registrikood",
    "PL": "regon",
    "ES": "cif",
    "IT": "iva",
    "AT": "businessid",
    "CH": "uid",
}

# UK Companies House numbers: 8 digits, or 2 letters (SC, NI, OC...) + 6 digits.
GB_COMPANY_NUMBER = re.compile(r"^(?:\d{8}|[A-Z]{2}\d{6})$")
GENERIC_ORG_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 ./-]{1,38}[A-Z0-9]$")

# Countries with a VAT (or equivalent) number: the EU, the EEA and the UK.
VAT_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "NO",
        "IS",
        "LI",
        "CH",
        "GB",
    ]
)
VAT_PREFIX = {"GR": "EL"}  # Greece's VAT numbers start with EL


def _module(country: str, name: str) -> ModuleType | None:
    try:
        return get_cc_module(country.lower(), name)
    except (ImportError, ValueError):
        return None


def company_name_key(name: str) -> str:
    """What company names are compared on: legal suffixes, case, punctuation and
    spacing removed ("Nordlicens AB" and "NORDLICENS A.B." give "nordlicens").

    Stored as Reseller.normalized_name; the ledger check and the beneficiary
    check (R3) compare other names' keys with it.
    """
    # Twice: "Nordlicens Sverige AB Ltd" carries two suffixes.
    return re.sub(r"[\W_]+", "", basename(basename(name or "")).casefold())


def org_number_match_key(number: str) -> str:
    """A number as letters and digits only, for matching; it is not validated."""
    return re.sub(r"[^0-9A-Z]", "", (number or "").upper())


def org_number_validate(*, country: str, value: str) -> str:
    """The organisation number in its stored form; ValidationError if invalid."""
    country = str(country).upper()
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Enter the organisation number."), code="required")
    if country == "GB":
        compact = re.sub(r"[\s.-]", "", value).upper()
        if compact.isdigit() and len(compact) < 8:
            compact = compact.zfill(8)
        if GB_COMPANY_NUMBER.match(compact):
            return compact
        raise invalid_org_number(country)
    module_name = ORG_NUMBER_MODULES.get(country)
    module = _module(country, module_name) if module_name else None
    if module is None:
        compact = re.sub(r"\s+", " ", value).upper()
        if GENERIC_ORG_NUMBER.match(compact):
            return compact
        raise invalid_org_number(country)
    try:
        return module.validate(value)
    except StdnumError:
        raise invalid_org_number(country) from None


def invalid_org_number(country: str) -> ValidationError:
    examples = {
        "SE": "556036-0793",
        "NO": "974 760 673",
        "DK": "13585628",
        "FI": "2077474-0",
        "DE": "Aachen HRB 11223",
        "GB": "00445790",
    }
    example = examples.get(country)
    if example:
        message = _(
            "This is not a valid organisation number for the country. "
            "Check it against your registration papers, e.g. %(example)s."
        ) % {"example": example}
    else:
        message = _(
            "This is not a valid organisation number. Check it against your "
            "registration papers."
        )
    return ValidationError(message, code="invalid_org_number")


def vat_required(country: str) -> bool:
    """Whether companies of the country have a VAT number we ask for."""
    return str(country).upper() in VAT_COUNTRIES


def vat_number_normalise(*, country: str, value: str) -> str:
    """The VAT number with its country prefix, compact; ValidationError if invalid.

    The prefix may be left out ("556036079301" for a Swedish company).
    """
    country = str(country).upper()
    prefix = VAT_PREFIX.get(country, country)
    compact = re.sub(r"[\s.-]", "", value or "").upper()
    if not compact:
        return ""
    if not compact.startswith(prefix):
        if compact[:2].isalpha() and not compact.isalpha():
            raise ValidationError(
                _("This VAT number belongs to another country than the company's."),
                code="vat_country_mismatch",
            )
        compact = prefix + compact
    if country == "NO" and not compact.endswith("MVA"):
        compact += "MVA"  # the Norwegian VAT number is the org number + "MVA"
    module = _module(country, "mva" if country == "NO" else "vat")
    if module is None:
        return compact
    try:
        number = module.validate(compact)
    except StdnumError:
        raise ValidationError(
            _(
                "This is not a valid VAT number for the country. Enter it as on "
                "your invoices, e.g. %(example)s."
            )
            % {"example": VAT_EXAMPLES.get(country, prefix + "123456789")},
            code="invalid_vat_number",
        ) from None
    return number if number.startswith(prefix) else prefix + number


VAT_EXAMPLES = {
    "SE": "SE556036079301",
    "NO": "NO974760673MVA",
    "DK": "DK13585628",
    "FI": "FI20774740",
    "DE": "DE136695976",
    "GB": "GB980780684",
}
