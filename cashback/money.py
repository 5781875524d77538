"""Money and percentages in the reader's language (R15: amounts a reseller reads).

Money is a Decimal with an ISO 4217 code beside it, never a float. `money()` is
the one way an amount is written for people, in pages, the admin, e-mails and
documents (exports keep plain numbers for machines). Babel knows each locale's
number and currency patterns (CLDR); Django's own number formatting does not
place currencies.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, format_currency, format_percent, parse_pattern
from django.utils import translation

NBSP = "\xa0"


def _locale_name() -> str:
    return translation.to_locale(translation.get_language() or "en")


@lru_cache(maxsize=8)
def _money_pattern(locale_name: str) -> tuple[Locale, NumberPattern]:
    """The locale and `money()`'s pattern for it, parsed once per locale (the
    currency only fills its ¤ when applied): two decimals, the locale's own
    grouping, the ISO code before the number or the symbol after it."""
    locale = Locale.parse(locale_name)
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    number = pattern.replace("¤", "").strip(f" {NBSP}")
    integer = number.split(".")[0]
    if pattern.startswith("¤"):
        pattern = f"¤¤{NBSP}{integer}.00"
    else:
        pattern = f"{integer}.00{NBSP}¤"
    return locale, parse_pattern(pattern)


def money(amount: Decimal | int | str, currency: str) -> str:
    """ "SEK 2,500.00" in English, "2 500,00 kr" in Swedish: always two decimals,
    grouped, never an exponent ("2E+1"), spaces that do not break.

    Where the language writes the currency before the number (English), the ISO
    code stands there, as "$" or "kr" glued to a number is ambiguous; where it
    writes it after (Swedish), the language's own symbol does, as people write it.
    """
    locale, pattern = _money_pattern(_locale_name())
    # Half a cent rounds up, as on an invoice (Babel would round to even).
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = format_currency(
        amount, currency, format=pattern, locale=locale, currency_digits=False
    )
    return text.strip(NBSP)  # no currency (a bank file may omit it): the number


def percent(value: Decimal | int) -> str:
    """10 -> "10%" in English, "10 %" in Swedish; 12.5 keeps its decimal."""
    return format_percent(
        Decimal(value) / 100, locale=_locale_name(), decimal_quantization=False
    )
