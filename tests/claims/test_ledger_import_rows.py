"""The ledger import's row checks by line since PostgreSQL checks the plain
rows in SQL (issue 33): a bad date in the ISO shape, an unknown code of each
kind, values at the edge of their range and repeats in the file are reported
on their line exactly as the Python checks (and SQLite's batches) report them."""

import io
from decimal import Decimal

import pytest

from claims.ledger_import import ledger_import
from claims.models import OpenAgreement
from tests.offers.factories import (
    CustomerSegmentFactory,
    LicenceTypeFactory,
    ProductFactory,
)

HEADER = (
    "new_customer,agreement_number,reseller_org_number,reseller_name,customer_id,"
    "customer_segment,licence_type,product_sku,seats,revenue,currency,sale_date\n"
)


def row(number: str, **changes: str) -> str:
    """One ledger row (in the header's column order above) with `changes`."""
    values = {
        "new_customer": "true",
        "agreement_number": number,
        "reseller_org_number": "5567037485",
        "reseller_name": "Nordlicens AB",
        "customer_id": "C-1",
        "customer_segment": "COMMERCIAL",
        "licence_type": "OPEN_LICENSE",
        "product_sku": "SKU-1",
        "seats": "10",
        "revenue": "100.00",
        "currency": "SEK",
        "sale_date": "2026-08-15",
        **changes,
    }
    return ",".join(values.values()) + "\n"


@pytest.fixture
def codes(db):
    CustomerSegmentFactory(code="COMMERCIAL")
    LicenceTypeFactory(code="OPEN_LICENSE")
    ProductFactory(sku="SKU-1")


def check_bad_values_by_line() -> None:
    rows = [
        row("87100001"),  # line 2, good
        row("87100002", sale_date="2026-02-30"),
        row("87100003", customer_segment="PUBLIC"),
        row("87100004", licence_type="RETAIL"),
        row("87100005", product_sku="SKU-404"),
        row("87100006", seats="2147483648"),
        row("87100007", revenue="1000000000000"),
        row("87100008", currency="SE"),
        row("87100009", customer_id=""),
        row("87100010", reseller_org_number="5" * 41),
        row("87100001", customer_id="C-9"),  # line 12, repeats line 2
        row("87100011", seats="2147483647", revenue="999999999999.99"),  # good
        row("871-000-12", currency="sek", new_customer="False", revenue="1e3"),
        row("87100013", sale_date="20260815"),  # Python's ISO forms stay good
    ]
    result = ledger_import(stream=io.StringIO(HEADER + "".join(rows)))
    assert result.errors == [
        (3, "sale_date '2026-02-30' is not a date like 2026-08-15"),
        (4, "customer_segment 'PUBLIC' is not a known code"),
        (5, "licence_type 'RETAIL' is not a known code"),
        (6, "product_sku 'SKU-404' is not a known SKU"),
        (7, "seats '2147483648' is not a whole number of 0 or more"),
        (8, "revenue '1000000000000' must be 0 or more with at most 2 decimals"),
        (9, "currency 'SE' is not an ISO 4217 code"),
        (10, "customer_id is empty or longer than 64 characters"),
        (11, "reseller_org_number is longer than 40 characters"),
        (12, "agreement_number 87100001 repeats line 2; the first is kept"),
    ]
    assert (result.inserted, result.rejected) == (4, 10)
    assert OpenAgreement.objects.get(agreement_number="87100001").customer_id == "C-1"
    edge = OpenAgreement.objects.get(agreement_number="87100011")
    assert (edge.seats, edge.revenue) == (2147483647, Decimal("999999999999.99"))
    odd = OpenAgreement.objects.get(agreement_number="87100012")
    assert (odd.currency, odd.new_customer, odd.revenue) == ("SEK", False, 1000)
    assert str(OpenAgreement.objects.get(agreement_number="87100013").sale_date) == (
        "2026-08-15"
    )


def check_repeats_of_bad_and_odd_rows() -> None:
    """A row with a bad number is rejected on its own line whatever it repeats;
    a repeat of a good row written in an odd form is still a repeat; a row
    repeating a bad row is judged on its own."""
    rows = [
        row("8710-0021"),  # line 2, good, normalised to 87100021
        row("87100021", sale_date="2026-13-01"),  # a repeat, whatever else
        row("12"),  # a bad number
        row("87100022", seats="x"),  # line 5, bad
        row("87100022"),  # line 6, judged on its own: good
    ]
    result = ledger_import(stream=io.StringIO(HEADER + "".join(rows)))
    assert result.errors == [
        (3, "agreement_number 87100021 repeats line 2; the first is kept"),
        (4, "agreement_number must be 7 to 15 letters and digits"),
        (5, "seats 'x' is not a whole number of 0 or more"),
    ]
    assert (result.inserted, result.rejected) == (2, 3)


def test_bad_values_by_line(codes):
    check_bad_values_by_line()


@pytest.mark.postgres
def test_bad_values_by_line_copy(codes):
    check_bad_values_by_line()


def test_repeats_of_bad_and_odd_rows(codes):
    check_repeats_of_bad_and_odd_rows()


@pytest.mark.postgres
def test_repeats_of_bad_and_odd_rows_copy(codes):
    check_repeats_of_bad_and_odd_rows()
