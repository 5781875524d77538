"""Reading the ledger CSV: the columns, each row checked and formatted for
the database, and the import's result."""

import csv
import datetime as dt
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TextIO

from offers.models import CustomerSegment, LicenceType, Product

from ..numbers import AGREEMENT_NUMBER_RE, agreement_number_normalize

COLUMNS = (
    "agreement_number",
    "reseller_org_number",
    "reseller_name",
    "customer_id",
    "customer_segment",
    "licence_type",
    "product_sku",
    "seats",
    "revenue",
    "currency",
    "sale_date",
    "new_customer",
)
# Model columns in the order rows are written.
TARGET = (
    "agreement_number",
    "reseller_org_number",
    "reseller_name",
    "customer_id",
    "customer_segment_id",
    "licence_type_id",
    "product_id",
    "seats",
    "revenue",
    "currency",
    "sale_date",
    "new_customer",
)
MAX_REVENUE = Decimal("999999999999.99")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Revenues that need no Decimal to be known good: at most 12 digits and 2
# decimals (anything else goes through Decimal and its checks).
PLAIN_REVENUE_RE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
MEMO_SIZE = 10_000
COPY_BLOCK = 2_000
PROGRESS_EVERY = 10_000
SQLITE_BATCH = 2_000
MAX_ERRORS_KEPT = 1_000


class LedgerImportError(Exception):
    """The file cannot be imported at all (nothing was written)."""


@dataclass
class ImportResult:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # The time stamp every row this import inserted or changed carries.
    imported_at: dt.datetime | None = None

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append((line, reason))


def repeat_message(number: str, first_line: int) -> str:
    """The one reason for a repeated number, found in SQL or (SQLite) in Python."""
    return f"agreement_number {number} repeats line {first_line}; the first is kept"


class RowParser:
    """Turns one CSV record into the model's values, or says what is wrong.

    The values come out as text ready for COPY (ids, canonical decimals and
    ISO dates), so the PostgreSQL path writes them without another pass; the
    checks are the same whatever the database. Values that repeat across a
    ledger (codes, dates, currencies, flags) are checked once and remembered.
    """

    def __init__(self, header: list[str]) -> None:
        names = [name.strip().lstrip("\ufeff").lower() for name in header]
        missing = [column for column in COLUMNS if column not in names]
        if missing:
            raise LedgerImportError(
                "Missing column(s): "
                + ", ".join(missing)
                + ". The header must name: "
                + ",".join(COLUMNS)
            )
        self.index = [names.index(column) for column in COLUMNS]
        self.fields = operator.itemgetter(*self.index)
        self.segments = {
            code: str(pk)
            for code, pk in CustomerSegment.objects.values_list("code", "pk")
        }
        self.licence_types = {
            code: str(pk) for code, pk in LicenceType.objects.values_list("code", "pk")
        }
        self.products = {
            sku: str(pk) for sku, pk in Product.objects.values_list("sku", "pk")
        }
        # Bounded memos of values already found good (flat memory).
        self.dates: dict[str, str] = {}
        self.currencies: dict[str, str] = {}
        self.flags: dict[str, str] = {}

    def number(self, record: list[str]) -> tuple[str, tuple[str, ...]]:
        """The normalised agreement number and the stripped fields; raises
        ValueError for the faults found before duplicates are looked for."""
        try:
            fields = tuple(value.strip() for value in self.fields(record))
        except IndexError:
            raise ValueError("too few fields") from None
        number = fields[0]
        if not AGREEMENT_NUMBER_RE.match(number):
            # Already normal numbers (the usual case) skip the rewrite.
            number = agreement_number_normalize(number)
            if not AGREEMENT_NUMBER_RE.match(number):
                raise ValueError("agreement_number must be 7 to 15 letters and digits")
        return number, fields

    def values(self, number: str, fields: tuple[str, ...]) -> tuple[str, ...]:
        """The row as COPY text (TARGET order), or ValueError saying why not."""
        (
            _number,
            org_number,
            name,
            customer_id,
            segment,
            licence_type,
            sku,
            seats,
            revenue,
            currency,
            sale_date,
            new_customer,
        ) = fields
        if len(org_number) > 40:
            raise ValueError("reseller_org_number is longer than 40 characters")
        if not name or len(name) > 200:
            raise ValueError("reseller_name is empty or longer than 200 characters")
        if not customer_id or len(customer_id) > 64:
            raise ValueError("customer_id is empty or longer than 64 characters")
        try:
            segment_id = self.segments[segment]
        except KeyError:
            raise ValueError(
                f"customer_segment {segment!r} is not a known code"
            ) from None
        try:
            licence_type_id = self.licence_types[licence_type]
        except KeyError:
            raise ValueError(
                f"licence_type {licence_type!r} is not a known code"
            ) from None
        try:
            product_id = self.products[sku]
        except KeyError:
            raise ValueError(f"product_sku {sku!r} is not a known SKU") from None
        if not seats.isdigit() or int(seats) > 2_147_483_647:
            raise ValueError(f"seats {seats!r} is not a whole number of 0 or more")
        if not seats.isascii():
            seats = str(int(seats))  # other scripts' digits
        if not PLAIN_REVENUE_RE.fullmatch(revenue):
            revenue = _revenue_text(revenue)
        currency = self.currencies.get(currency) or self._currency(currency)
        date = self.dates.get(sale_date) or self._date(sale_date)
        flag = self.flags.get(new_customer) or self._flag(new_customer)
        return (
            number,
            org_number,
            name,
            customer_id,
            segment_id,
            licence_type_id,
            product_id,
            seats,
            revenue,
            currency,
            date,
            flag,
        )

    def _currency(self, raw: str) -> str:
        currency = raw.upper()
        if not CURRENCY_RE.match(currency):
            raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
        return _remember(self.currencies, raw, currency)

    def _date(self, raw: str) -> str:
        try:
            date = dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                f"sale_date {raw!r} is not a date like 2026-08-15"
            ) from None
        return _remember(self.dates, raw, date.isoformat())

    def _flag(self, raw: str) -> str:
        flag = raw.lower()
        if flag not in {"true", "false"}:
            raise ValueError(f"new_customer {raw!r} must be true or false")
        return _remember(self.flags, raw, "t" if flag == "true" else "f")


def _remember(memo: dict[str, str], raw: str, value: str) -> str:
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[raw] = value
    return value


def _revenue_text(revenue: str) -> str:
    """The checks of a revenue that is not plain digits (`1e3`, `1_000`, ...)."""
    try:
        amount = Decimal(revenue)
    except InvalidOperation:
        raise ValueError(f"revenue {revenue!r} is not a number like 1234.50") from None
    if (
        not amount.is_finite()
        or amount < 0
        or amount > MAX_REVENUE
        or amount.as_tuple().exponent < -2
    ):
        raise ValueError(
            f"revenue {revenue!r} must be 0 or more with at most 2 decimals"
        )
    return str(amount)


def csv_records(
    stream: TextIO,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> tuple[RowParser, Iterator[tuple[int, list[str]]]]:
    """The parser for the header and the readable, non-blank records with their
    line numbers; unreadable ones are rejected here."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise LedgerImportError("The file is empty: no header row.") from None
    except UnicodeDecodeError:
        raise LedgerImportError("The file is not UTF-8.") from None
    except csv.Error as error:
        raise LedgerImportError(f"The header cannot be read: {error}") from None
    parser = RowParser(header)

    def generate() -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError:
                # Rolls the whole import back: the rest cannot be trusted.
                raise LedgerImportError(
                    f"The file is not UTF-8 (after line {reader.line_num})."
                ) from None
            except csv.Error as error:
                result.rows_read += 1
                result.reject(reader.line_num, f"unreadable: {error}")
                continue
            if not (record and record[0].strip()) and not any(
                part.strip() for part in record
            ):
                continue
            result.rows_read += 1
            if progress and result.rows_read % PROGRESS_EVERY == 0:
                progress(result.rows_read)
            yield reader.line_num, record

    return parser, generate()
