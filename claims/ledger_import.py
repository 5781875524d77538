"""Importing the Open agreement ledger from CSV (DESIGN.md, "Interfaces").

The header is checked first: a missing column stops the import before any
row is written, naming it. Bad rows are reported by line number with the
reason and skipped:

- on PostgreSQL, Python only splits the CSV and streams the fields as text with
  COPY into a temporary staging table; one set-based statement then checks
  every row (the same rules and messages as the Python parser), resolves the
  codes with joins and writes with `INSERT ... ON CONFLICT (agreement_number)
  DO UPDATE` touching only changed rows, so re-importing a file is safe and
  cheap. Per-row Python work was what made 200,000 rows take 18.6 s;
- elsewhere (SQLite), each row is checked in Python and written in batches of
  `bulk_create(update_conflicts=True)`.

Everything is one transaction: an import is written whole or not at all.
Measured by `make bench` (docs/performance.md).
"""

import csv
import datetime as dt
import io
import json
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


def _column_index(header: list[str]) -> list[int]:
    """Where each of COLUMNS is in the file; LedgerImportError names any missing."""
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise LedgerImportError(
            "Missing column(s): "
            + ", ".join(missing)
            + ". The header must name: "
            + ",".join(COLUMNS)
        )
    return [names.index(column) for column in COLUMNS]


def _header(reader) -> list[str]:
    try:
        return next(reader)
    except StopIteration:
        raise LedgerImportError("The file is empty: no header row.") from None
    except UnicodeDecodeError:
        raise LedgerImportError("The file is not UTF-8.") from None
    except csv.Error as error:
        raise LedgerImportError(f"The header cannot be read: {error}") from None


class _RowParser:
    """Turns one CSV record into the model's values, or says what is wrong."""

    def __init__(self, header: list[str]) -> None:
        self.index = _column_index(header)
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
    parser = _RowParser(_header(reader))

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
        if connection.vendor == "postgresql":
            _import_postgresql(stream, result, progress)
        else:
            _parser, rows = _rows(stream, result, progress)
            _import_batched(rows, result)
    if progress:
        progress(result.rows_read)
    return result


COPY_CHUNK = 20_000
# The checks of _RowParser.parse, in SQL, in the same order and with the same
# messages. Nested CASEs keep a cast from seeing a value its guard rejected.
# numbers._SEPARATORS as characters: translate() is far cheaper than a regex.
_SEPARATORS_SQL = "E' \\t\\r\\n\\f\\v-–—_./'"
_PROBLEM_SQL = r"""
CASE
  WHEN length(reseller_org_number) > 40
    THEN 'reseller_org_number is longer than 40 characters'
  WHEN reseller_name = '' OR length(reseller_name) > 200
    THEN 'reseller_name is empty or longer than 200 characters'
  WHEN customer_id = '' OR length(customer_id) > 64
    THEN 'customer_id is empty or longer than 64 characters'
  WHEN customer_segment_id IS NULL THEN 'customer_segment '
    || quote_literal(customer_segment) || ' is not a known code'
  WHEN licence_type_id IS NULL THEN 'licence_type '
    || quote_literal(licence_type) || ' is not a known code'
  WHEN product_id IS NULL THEN 'product_sku '
    || quote_literal(product_sku) || ' is not a known SKU'
  WHEN CASE WHEN seats ~ '^[0-9]{1,18}$' THEN seats::bigint > 2147483647
            ELSE true END
    THEN 'seats ' || quote_literal(seats) || ' is not a whole number of 0 or more'
  WHEN revenue !~ '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$'
    THEN 'revenue ' || quote_literal(revenue) || ' is not a number like 1234.50'
  WHEN revenue !~ '^\+?([0-9]{1,12}(\.[0-9]{0,2})?|\.[0-9]{1,2})$'
    THEN 'revenue ' || quote_literal(revenue)
      || ' must be 0 or more with at most 2 decimals'
  WHEN currency !~ '^[A-Z]{3}$'
    THEN 'currency ' || quote_literal(currency) || ' is not an ISO 4217 code'
  WHEN CASE
      WHEN sale_date !~ '^[0-9]{4}-(0[1-9]|1[0-2])-[0-9]{2}$'
        OR left(sale_date, 4) = '0000' THEN true
      ELSE substr(sale_date, 9, 2)::int NOT BETWEEN 1 AND extract(day FROM
        make_date(left(sale_date, 4)::int, substr(sale_date, 6, 2)::int, 1)
        + interval '1 month - 1 day')
    END
    THEN 'sale_date ' || quote_literal(sale_date)
      || ' is not a date like 2026-08-15'
  WHEN lower(new_customer) NOT IN ('true', 'false')
    THEN 'new_customer ' || quote_literal(new_customer) || ' must be true or false'
END
"""


def _stage(cursor, stream: TextIO, result: ImportResult, progress) -> list[int]:
    """Split the CSV and COPY its fields, as text with their line, into staging.

    The only per-row Python left: the C csv module splits, a length check, and
    csv.writer joins again for COPY in big chunks.
    """
    reader = csv.reader(stream)
    index = _column_index(_header(reader))
    width = max(index) + 1
    fields = [f"c{i}" for i in range(width)]
    cursor.execute("DROP TABLE IF EXISTS ledger_staging")
    cursor.execute(
        "CREATE TEMP TABLE ledger_staging (line integer NOT NULL, "
        + ", ".join(f"{name} text NOT NULL" for name in fields)
        + ") ON COMMIT DROP"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    batch: list[list] = []
    rows = 0
    copy_sql = (
        f"COPY ledger_staging (line, {', '.join(fields)}) FROM STDIN "
        f"(FORMAT csv, FORCE_NOT_NULL ({', '.join(fields)}))"
    )
    with cursor.cursor.copy(copy_sql) as copy:

        def flush() -> None:
            writer.writerows(batch)
            copy.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
            batch.clear()
            if progress:
                progress(result.rows_read + rows)

        while True:
            try:
                for record in reader:
                    size = len(record)
                    if size != width:
                        if size > width:
                            del record[width:]
                        elif not any(part.strip() for part in record):
                            continue
                        else:
                            result.rows_read += 1
                            result.reject(reader.line_num, "too few fields")
                            continue
                    record.insert(0, reader.line_num)
                    batch.append(record)
                    rows += 1
                    if len(batch) >= COPY_CHUNK:
                        flush()
                break
            except UnicodeDecodeError:
                # Rolls the whole import back: the rest cannot be trusted.
                raise LedgerImportError(
                    f"The file is not UTF-8 (after line {reader.line_num})."
                ) from None
            except csv.Error as error:
                result.rows_read += 1
                result.reject(reader.line_num, f"unreadable: {error}")
        if batch:
            flush()
    return index


def _import_postgresql(
    stream: TextIO, result: ImportResult, progress: Callable[[int], None] | None
) -> None:
    table = connection.ops.quote_name(OpenAgreement._meta.db_table)
    columns = ", ".join(TARGET)
    data_columns = [c for c in TARGET if c != "agreement_number"]
    with connection.cursor() as cursor:
        index = _stage(cursor, stream, result, progress)
        raw = {
            name: f"btrim(s.c{i}, E' \\t\\r\\n\\f\\v')"
            for name, i in zip(COLUMNS, index, strict=True)
        }
        raw["agreement_number"] = (
            f"upper(translate(s.c{index[0]}, {_SEPARATORS_SQL}, ''))"
        )
        raw["currency"] = f"upper({raw['currency']})"
        blank = " || ".join(f"s.c{i}" for i in sorted(set(index)))
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in data_columns)
        current = ", ".join(f"{table}.{c}" for c in data_columns)
        incoming = ", ".join(f"EXCLUDED.{c}" for c in data_columns)
        segments = CustomerSegment._meta.db_table
        licence_types = LicenceType._meta.db_table
        products = Product._meta.db_table
        # Sorting and hashing a million rows wants more than the 4 MB default.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            f"""
            WITH parsed AS (
                SELECT s.line, {", ".join(f"{v} AS {k}" for k, v in raw.items())}
                FROM ledger_staging s
                WHERE ({blank}) !~ '^\\s*$'
            ),
            checked AS (
                SELECT p.*, cs.id AS customer_segment_id,
                       lt.id AS licence_type_id, pr.id AS product_id,
                       p.agreement_number ~ '^[A-Z0-9]{{7,15}}$' AS number_ok
                FROM parsed p
                LEFT JOIN {segments} cs ON cs.code = p.customer_segment
                LEFT JOIN {licence_types} lt ON lt.code = p.licence_type
                LEFT JOIN {products} pr ON pr.sku = p.product_sku
            ),
            problems AS MATERIALIZED (
                SELECT c.*, CASE WHEN c.number_ok THEN {_PROBLEM_SQL} END AS problem
                FROM checked c
            ),
            firsts AS (
                SELECT agreement_number, min(line) AS first_line FROM problems
                WHERE number_ok AND problem IS NULL GROUP BY agreement_number
            ),
            decided AS MATERIALIZED (
                SELECT p.*, CASE
                    WHEN NOT p.number_ok THEN
                        'agreement_number must be 7 to 15 letters and digits'
                    WHEN f.first_line < p.line THEN 'agreement_number '
                        || p.agreement_number || ' repeats line ' || f.first_line
                        || '; the first is kept'
                    ELSE p.problem
                END AS reason
                FROM problems p LEFT JOIN firsts f USING (agreement_number)
            ),
            written AS (
                INSERT INTO {table} ({columns}, imported_at)
                SELECT agreement_number, reseller_org_number, reseller_name,
                       customer_id, customer_segment_id, licence_type_id,
                       product_id, seats::integer, revenue::numeric(14, 2),
                       currency, sale_date::date, lower(new_customer) = 'true',
                       now()
                FROM decided WHERE reason IS NULL
                ON CONFLICT (agreement_number) DO UPDATE
                SET {assignments}, imported_at = EXCLUDED.imported_at
                WHERE ({current}) IS DISTINCT FROM ({incoming})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT
                (SELECT count(*) FROM decided),
                (SELECT count(*) FROM decided WHERE reason IS NULL),
                (SELECT count(*) FROM written WHERE inserted),
                (SELECT count(*) FROM written),
                (SELECT coalesce(json_agg(json_build_array(line, reason)), '[]')
                 FROM (SELECT line, reason FROM decided WHERE reason IS NOT NULL
                       ORDER BY line LIMIT {MAX_ERRORS_KEPT}) e)
            """  # noqa: S608  # nosec B608 - names from the models, no values interpolated
        )
        staged, valid, inserted, written, errors = cursor.fetchone()
        cursor.execute("DROP TABLE ledger_staging")
    if isinstance(errors, str):
        errors = json.loads(errors)
    result.rows_read += staged
    result.rejected += staged - valid
    result.errors = sorted(result.errors + [tuple(e) for e in errors])[:MAX_ERRORS_KEPT]
    result.inserted = inserted
    result.updated = written - inserted
    result.unchanged = valid - written


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
