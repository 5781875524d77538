"""Money and percentages in the reader's language (R15: amounts a reseller reads).

Money is a Decimal with an ISO 4217 code beside it, never a float. Babel knows
each locale's number and currency patterns (CLDR); Django's own number
formatting does not place currency codes.
"""

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent
from django.utils import translation


def _locale_name() -> str:
    return translation.to_locale(translation.get_language() or "en")


def money(amount: Decimal | int, currency: str) -> str:
    """ "SEK 1,234.50" in English, "1 234,50 SEK" in Swedish; cents only when there
    are some."""
    locale = Locale.parse(_locale_name())
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    # The ISO code (¤¤) rather than a symbol: "kr" and "$" are ambiguous.
    pattern = pattern.replace("¤", "¤¤").replace("¤¤#", "¤¤\xa0#")
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return format_currency(
        amount, currency, format=pattern, locale=locale, currency_digits=False
    )


def percent(value: Decimal | int) -> str:
    """10 -> "10%" in English, "10 %" in Swedish; 12.5 keeps its decimal."""
    return format_percent(
        Decimal(value) / 100, locale=_locale_name(), decimal_quantization=False
    )


def amount_text(amount: Decimal | int) -> str:
    """An amount without currency, grouped: "1 234,50" in Swedish, "1,234.50" in
    English; cents only when there are some."""
    amount = Decimal(amount)
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    return format_decimal(amount, format=pattern, locale=_locale_name())
