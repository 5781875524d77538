"""Importing the Open agreement ledger from CSV (DESIGN.md, "Interfaces").

The header is checked first: a missing column stops the import before any
row is written, naming it. Each row is then checked in Python (bad rows are
reported by line number with the reason and skipped) and streamed:

- on PostgreSQL, with COPY into a temporary staging table, then one set-based
  `INSERT ... ON CONFLICT (agreement_number) DO UPDATE` that touches only
  changed rows, so re-importing a file is safe and cheap;
- elsewhere (SQLite), in batches of `bulk_create(update_conflicts=True)`.

Everything is one transaction: an import is written whole or not at all.
Measured on PostgreSQL 15 with 2 cores: see the import_agreements command.
"""

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TextIO

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from offers.models import CustomerSegment, LicenceType, Product

from .models import AgreementImport, OpenAgreement
from .numbers import AGREEMENT_NUMBER_RE, agreement_number_normalize

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
PROGRESS_EVERY = 10_000
SQLITE_BATCH = 2_000
MAX_ERRORS_KEPT = 1_000

logger = logging.getLogger(__name__)

Row = tuple


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

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append((line, reason))


class _RowParser:
    """Turns one CSV record into the model's values, or says what is wrong."""

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
        self.segments = dict(CustomerSegment.objects.values_list("code", "pk"))
        self.licence_types = dict(LicenceType.objects.values_list("code", "pk"))
        self.products = dict(Product.objects.values_list("sku", "pk"))
        self.seen: dict[str, int] = {}

    def parse(self, record: list[str], line: int) -> Row:
        if len(record) < len(self.index) or max(self.index) >= len(record):
            raise ValueError("too few fields")
        (
            number,
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
        ) = (record[i].strip() for i in self.index)
        number = agreement_number_normalize(number)
        if not AGREEMENT_NUMBER_RE.match(number):
            raise ValueError("agreement_number must be 7 to 15 letters and digits")
        if number in self.seen:
            raise ValueError(
                f"agreement_number {number} repeats line {self.seen[number]}; "
                "the first is kept"
            )
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
        try:
            amount = Decimal(revenue)
        except InvalidOperation:
            raise ValueError(
                f"revenue {revenue!r} is not a number like 1234.50"
            ) from None
        if (
            not amount.is_finite()
            or amount < 0
            or amount > MAX_REVENUE
            or amount.as_tuple().exponent < -2
        ):
            raise ValueError(
                f"revenue {revenue!r} must be 0 or more with at most 2 decimals"
            )
        currency = currency.upper()
        if not CURRENCY_RE.match(currency):
            raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
        try:
            date = dt.date.fromisoformat(sale_date)
        except ValueError:
            raise ValueError(
                f"sale_date {sale_date!r} is not a date like 2026-08-15"
            ) from None
        flag = new_customer.lower()
        if flag not in {"true", "false"}:
            raise ValueError(f"new_customer {new_customer!r} must be true or false")
        self.seen[number] = line
        return (
            number,
            org_number,
            name,
            customer_id,
            segment_id,
            licence_type_id,
            product_id,
            int(seats),
            amount,
            currency,
            date,
            flag == "true",
        )


def _rows(
    stream: TextIO,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> tuple[_RowParser, Iterator[Row]]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise LedgerImportError("The file is empty: no header row.") from None
    except UnicodeDecodeError:
        raise LedgerImportError("The file is not UTF-8.") from None
    except csv.Error as error:
        raise LedgerImportError(f"The header cannot be read: {error}") from None
    parser = _RowParser(header)

    def generate() -> Iterator[Row]:
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
            if not any(part.strip() for part in record):
                continue
            result.rows_read += 1
            if progress and result.rows_read % PROGRESS_EVERY == 0:
                progress(result.rows_read)
            try:
                yield parser.parse(record, reader.line_num)
            except ValueError as error:
                result.reject(reader.line_num, str(error))

    return parser, generate()


def ledger_import(
    *, stream: TextIO, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import a ledger CSV; raises LedgerImportError (nothing written) when the
    file cannot be imported at all."""
    result = ImportResult()
    with transaction.atomic():
        _parser, rows = _rows(stream, result, progress)
        if connection.vendor == "postgresql":
            _import_postgresql(rows, result)
        else:
            _import_batched(rows, result)
    if progress:
        progress(result.rows_read)
    return result


def _import_postgresql(rows: Iterator[Row], result: ImportResult) -> None:
    table = connection.ops.quote_name(OpenAgreement._meta.db_table)
    columns = ", ".join(TARGET)
    data_columns = [c for c in TARGET if c != "agreement_number"]
    with connection.cursor() as cursor:
        # Dropped on commit, and here when an outer transaction (a test, a
        # caller's atomic block) kept the previous one alive.
        cursor.execute("DROP TABLE IF EXISTS ledger_staging")
        cursor.execute(
            """
            CREATE TEMP TABLE ledger_staging (
                agreement_number varchar(20) NOT NULL,
                reseller_org_number varchar(40) NOT NULL,
                reseller_name varchar(200) NOT NULL,
                customer_id varchar(64) NOT NULL,
                customer_segment_id bigint NOT NULL,
                licence_type_id bigint NOT NULL,
                product_id bigint NOT NULL,
                seats integer NOT NULL,
                revenue numeric(14, 2) NOT NULL,
                currency varchar(3) NOT NULL,
                sale_date date NOT NULL,
                new_customer boolean NOT NULL
            ) ON COMMIT DROP
            """
        )
        with cursor.cursor.copy(f"COPY ledger_staging ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("SELECT count(*) FROM ledger_staging")
        staged = cursor.fetchone()[0]
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in data_columns)
        current = ", ".join(f"{table}.{c}" for c in data_columns)
        incoming = ", ".join(f"EXCLUDED.{c}" for c in data_columns)
        cursor.execute(
            f"""
            WITH written AS (
                INSERT INTO {table} ({columns}, imported_at)
                SELECT {columns}, now() FROM ledger_staging
                ON CONFLICT (agreement_number) DO UPDATE
                SET {assignments}, imported_at = EXCLUDED.imported_at
                WHERE ({current}) IS DISTINCT FROM ({incoming})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FROM written
            """  # noqa: S608  # nosec B608 - names from the model, no values interpolated
        )
        inserted, written = cursor.fetchone()
        cursor.execute("DROP TABLE ledger_staging")
    result.inserted = inserted
    result.updated = written - inserted
    result.unchanged = staged - written


def _import_batched(rows: Iterator[Row], result: ImportResult) -> None:
    batch: list[OpenAgreement] = []

    def flush() -> None:
        numbers = [agreement.agreement_number for agreement in batch]
        existing = set(
            OpenAgreement.objects.filter(agreement_number__in=numbers).values_list(
                "agreement_number", flat=True
            )
        )
        OpenAgreement.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["agreement_number"],
            update_fields=[*TARGET[1:], "imported_at"],
        )
        result.inserted += len(numbers) - len(existing)
        result.updated += len(existing)
        batch.clear()

    now = timezone.now()
    for row in rows:
        batch.append(
            OpenAgreement(**dict(zip(TARGET, row, strict=True)), imported_at=now)
        )
        if len(batch) >= SQLITE_BATCH:
            flush()
    if batch:
        flush()


# The admin upload ------------------------------------------------------------


def progress_key(import_id: int) -> str:
    return f"claims:agreement-import:{import_id}:rows"


def agreement_import_run(*, import_id: int) -> AgreementImport:
    """Run an uploaded import (from the Celery task) and record its result.

    Progress goes to the cache, not the row: the row is only written outside
    the import's transaction, which others cannot see into until it commits.
    """
    with transaction.atomic():
        upload = AgreementImport.objects.select_for_update().get(pk=import_id)
        if upload.status != AgreementImport.Status.PENDING:
            return upload
        upload.status = AgreementImport.Status.RUNNING
        upload.save(update_fields=["status"])
    key = progress_key(import_id)
    try:
        with upload.file.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            result = ledger_import(
                stream=text, progress=lambda rows: cache.set(key, rows, 3600)
            )
    except LedgerImportError as error:
        upload.status = AgreementImport.Status.FAILED
        upload.message = str(error)
    except Exception as error:
        logger.exception("Agreement import %s failed", import_id)
        upload.status = AgreementImport.Status.FAILED
        upload.message = f"Unexpected error, nothing imported: {error}"[:2000]
    else:
        upload.status = AgreementImport.Status.DONE
        upload.rows_read = result.rows_read
        upload.rows_written = result.written
        upload.rows_rejected = result.rejected
        upload.errors = [list(error) for error in result.errors]
        upload.message = (
            f"{result.inserted} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.rejected} rejected"
        )
    upload.finished_at = timezone.now()
    upload.save(
        update_fields=[
            "status",
            "rows_read",
            "rows_written",
            "rows_rejected",
            "errors",
            "message",
            "finished_at",
        ]
    )
    cache.delete(key)
    return upload
