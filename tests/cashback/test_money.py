"""Money reads the same everywhere, by the reader's language (issue 28): "2 500,00
kr" in Swedish, "SEK 2,500.00" in English; never "2E+1 EUR" or "2500.00 SEK"."""

from decimal import Decimal

import pytest
from django.utils import translation

from cashback.money import money

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("sv", Decimal("2500"), "SEK", "2 500,00 kr"),
        ("en", Decimal("2500"), "SEK", "SEK 2,500.00"),
        ("sv", Decimal("2500.5"), "EUR", "2 500,50 €"),
        ("en", Decimal("2500.5"), "EUR", "EUR 2,500.50"),
        ("sv", Decimal("0"), "SEK", "0,00 kr"),
        ("en", 0, "SEK", "SEK 0.00"),
        ("sv", Decimal("-750.25"), "SEK", "-750,25 kr"),
        ("en", Decimal("-750.25"), "SEK", "-SEK 750.25"),
        ("sv", Decimal("1234567890.12"), "SEK", "1 234 567 890,12 kr"),
        ("en", Decimal("1234567890.12"), "SEK", "SEK 1,234,567,890.12"),
        ("sv", Decimal("2E+1"), "EUR", "20,00 €"),
        ("en", Decimal("2E+1"), "EUR", "EUR 20.00"),
        ("en", Decimal("2.5E+3"), "SEK", "SEK 2,500.00"),
        ("en", "12.345", "SEK", "SEK 12.35"),
    ],
)
def test_money_by_language(language, amount, currency, expected):
    """Two decimals always, grouped by the language, spaces that do not break."""
    with translation.override(language):
        assert money(amount, currency) == expected.replace(" ", NBSP)


def test_money_has_no_breaking_space_and_no_exponent():
    for language in ("sv", "en"):
        with translation.override(language):
            text = money(Decimal("2E+4"), "SEK")
        assert " " not in text and "E+" not in text
