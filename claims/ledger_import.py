"""Importing the Open agreement ledger from CSV (DESIGN.md, "Interfaces").

The header is checked first: a missing column stops the import before any
row is written, naming it. Each row is then checked in Python (bad rows are
reported by line number with the reason and skipped) and streamed:

- on PostgreSQL, as preformatted text in blocks to COPY into a temporary
  staging table (the server ingests while Python reads on), then a few
  set-based statements: find repeated numbers (skipped when the file is in
  number order), lock the ledger table against other writers, UPDATE only
  the rows that changed and INSERT the new ones. Re-importing a file is safe
  and writes nothing; Python keeps nothing per row, so memory stays flat.
  A large load of mostly new rows locks the ledger (and the code tables)
  against readers too, drops the ledger's foreign keys and non-unique
  indexes until it has written, then re-creates them (one check and one
  sort each, as pg_restore does);
- elsewhere (SQLite), in batches of `bulk_create(update_conflicts=True)`.

Everything is one transaction: an import is written whole or not at all.
What it costs, and where the time goes, is in docs/performance.md.
"""

import csv
import datetime as dt
import io
import logging
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TextIO

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from offers.models import CustomerSegment, LicenceType, Product

from .models import AgreementImport, Claim, OpenAgreement
from .numbers import AGREEMENT_NUMBER_RE, agreement_number_normalize
from .services import claim_validate

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

logger = logging.getLogger(__name__)


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


def _repeat_message(number: str, first_line: int) -> str:
    """The one reason for a repeated number, found in SQL or (SQLite) in Python."""
    return f"agreement_number {number} repeats line {first_line}; the first is kept"


class _RowParser:
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


def _records(
    stream: TextIO,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> tuple[_RowParser, Iterator[tuple[int, list[str]]]]:
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
    parser = _RowParser(header)

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


def ledger_import(
    *, stream: TextIO, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import a ledger CSV; raises LedgerImportError (nothing written) when the
    file cannot be imported at all."""
    result = ImportResult()
    with transaction.atomic():
        parser, records = _records(stream, result, progress)
        if connection.vendor == "postgresql":
            _import_postgresql(parser, records, result)
        else:
            _import_batched(parser, records, result)
    if progress:
        progress(result.rows_read)
    return result


_STAGING = """
    CREATE TEMP TABLE ledger_staging (
        line integer NOT NULL,
        agreement_number varchar(20) NOT NULL,
        reseller_org_number varchar(40),
        reseller_name varchar(200),
        customer_id varchar(64),
        customer_segment_id bigint,
        licence_type_id bigint,
        product_id bigint,
        seats integer,
        revenue numeric(14, 2),
        currency varchar(3),
        sale_date date,
        new_customer boolean,
        error text
    ) ON COMMIT DROP
"""
# COPY's text format: these would end a row or be read as an escape (a tab,
# which would split a value, is counted instead).
_COPY_SPECIAL = re.compile(r"[\\\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# Row fields that are written as read (checked but not rewritten).
_FREE_TEXT = (1, 2, 3)


def _import_postgresql(
    parser: _RowParser,
    records: Iterator[tuple[int, list[str]]],
    result: ImportResult,
) -> None:
    """Stage every row by COPY, then find repeats and write in a few statements.

    Python keeps nothing per row (flat memory): a row that fails a check after
    its agreement number is read is staged with its reason, because a repeat
    of an earlier good row is reported as a repeat whatever else is wrong with
    it; repeats are found in SQL. The table lock serialises imports, so new
    rows can be inserted without ON CONFLICT (which costs a speculative
    insertion per row) and only changed rows are updated.
    """
    table = connection.ops.quote_name(OpenAgreement._meta.db_table)
    columns = ", ".join(TARGET)
    data_columns = TARGET[1:]
    staged = staged_bad = 0
    # Ledgers are usually exported in number order: then no number can repeat
    # and the search for repeats is skipped.
    ascending, last = True, ""
    with connection.cursor() as cursor:
        # An import is whole or nothing; losing the last one to a crash before
        # the WAL is flushed is fine (it is simply run again).
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Dropped on commit, and here when an outer transaction (a test, a
        # caller's atomic block) kept the previous one alive.
        cursor.execute("DROP TABLE IF EXISTS ledger_staging")
        cursor.execute(_STAGING)
        with cursor.cursor.copy(
            f"COPY ledger_staging (line, {columns}, error) FROM STDIN"
        ) as copy:
            lines: list[str] = []
            for line, record in records:
                try:
                    number, fields = parser.number(record)
                except ValueError as error:
                    result.reject(line, str(error))
                    continue
                if ascending:
                    ascending, last = number > last, number
                staged += 1
                try:
                    values = parser.values(number, fields)
                except ValueError as error:
                    staged_bad += 1
                    text = f"{line}\t{number}{_NO_VALUES}\t" + str(error).translate(
                        _COPY_ESCAPES
                    )
                else:
                    joined = "\t".join(values)
                    if joined.count("\t") != len(TARGET) - 1 or _COPY_SPECIAL.search(
                        joined
                    ):
                        joined = "\t".join(_copy_escaped(values))
                    text = f"{line}\t{joined}\t\\N"
                lines.append(text)
                if len(lines) >= COPY_BLOCK:
                    lines.append("")
                    copy.write("\n".join(lines))
                    lines.clear()
            if lines:
                lines.append("")
                copy.write("\n".join(lines))
        cursor.execute("ANALYZE ledger_staging")
        rejected, errors = _staged_rejects(
            cursor, staged_bad=staged_bad, may_repeat=not ascending
        )
        result.rejected += rejected
        result.errors = sorted(result.errors + errors)[:MAX_ERRORS_KEPT]
        staged -= rejected
        bulk = staged >= settings.LEDGER_IMPORT_BULK_ROWS and _mostly_new(
            cursor, table, staged
        )
        if bulk:
            # Readers of the ledger (claim validation) wait too until commit,
            # and so do readers of the code tables: dropping a foreign key
            # locks the table it references ACCESS EXCLUSIVE as well.
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            restore = _checks_drop(cursor, table)
        else:
            # Imports (and anything else writing the ledger) take turns from
            # here to commit; readers are not blocked.
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        # The stamp the rows below get, taken under the lock (not now(), the
        # transaction's start, which an outer transaction may share with an
        # earlier import): what changed is what carries it.
        cursor.execute("SELECT clock_timestamp()")
        stamp = result.imported_at = cursor.fetchone()[0]
        assignments = ", ".join(f"{c} = s.{c}" for c in data_columns)
        current = ", ".join(f"t.{c}" for c in data_columns)
        incoming = ", ".join(f"s.{c}" for c in data_columns)
        cursor.execute(
            f"""
            UPDATE {table} AS t SET {assignments}, imported_at = %s
            FROM ledger_staging AS s
            WHERE t.agreement_number = s.agreement_number
            AND ({current}) IS DISTINCT FROM ({incoming})
            """,  # noqa: S608  # nosec B608 - names from the model, no values interpolated
            [stamp],
        )
        updated = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {table} ({columns}, imported_at)
            SELECT {columns}, %s FROM ledger_staging AS s
            WHERE NOT EXISTS (
                SELECT FROM {table} AS t
                WHERE t.agreement_number = s.agreement_number
            )
            """,  # noqa: S608  # nosec B608 - names from the model, no values interpolated
            [stamp],
        )
        inserted = cursor.rowcount
        if bulk:
            _checks_restore(cursor, restore)
        cursor.execute("DROP TABLE ledger_staging")
    result.inserted = inserted
    result.updated = updated
    result.unchanged = staged - inserted - updated


def _mostly_new(cursor, table: str, staged: int) -> bool:
    """Whether most of the ledger after this import will be rows it inserts:
    re-adding a foreign key validates the whole table (about 0.3 s per
    1,000,000 rows and key), the triggers it replaces cost about 3.3 us per
    inserted row and key. Counted before any lock, so an estimate."""
    cursor.execute(f"SELECT EXISTS (SELECT FROM {table})")  # noqa: S608  # nosec B608
    if not cursor.fetchone()[0]:
        return True  # a first load: every row is new
    cursor.execute(
        f"""
        SELECT count(*) FILTER (WHERE NOT EXISTS (
            SELECT FROM {table} AS t WHERE t.agreement_number = s.agreement_number
        )), (SELECT count(*) FROM {table})
        FROM ledger_staging AS s
        """  # noqa: S608  # nosec B608 - names from the model, no values interpolated
    )
    new, existing = cursor.fetchone()
    return new >= settings.LEDGER_IMPORT_BULK_ROWS and new * 2 >= existing + new


# The ledger's foreign keys, by column: what a violation means to the importer.
_KEY_COLUMNS = {
    "customer_segment_id": "customer_segment",
    "licence_type_id": "licence_type",
    "product_id": "product_sku",
}


@dataclass
class _Checks:
    """Definitions of the dropped constraints and indexes, as the database had
    them (names and all, so the migrations' state is unchanged)."""

    foreign_keys: list[tuple[str, str, str, str]]  # name, column, table, definition
    indexes: list[str]


def _checks_drop(cursor, table: str) -> _Checks:
    """Drop the ledger's foreign keys (and non-unique indexes) for a bulk load,
    as pg_restore does: re-adding them checks every row in one join and
    builds each index in one sort, instead of a trigger call and an index
    insertion per row. Must be undone in the same transaction."""
    # Deferred checks already queued on the ledger (an outer transaction wrote
    # it) must run before its constraints can be altered.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        """
        SELECT c.conname, a.attname, c.confrelid::regclass::text,
            pg_get_constraintdef(c.oid)
        FROM pg_constraint AS c
        JOIN pg_attribute AS a
            ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.conrelid = %s::regclass AND c.contype = 'f'
        ORDER BY c.conname
        """,
        [table],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index AS i
        WHERE i.indrelid = %s::regclass AND NOT i.indisunique
        AND NOT EXISTS (SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        [table],
    )
    indexes = cursor.fetchall()
    for name, *_rest in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {_quote(name)}")
    return _Checks(foreign_keys, [definition for _name, definition in indexes])


def _checks_restore(cursor, checks: _Checks) -> None:
    """Re-create what `_checks_drop` dropped; a row whose code is gone (deleted
    while the file was read) fails its foreign key and the import with it."""
    table = connection.ops.quote_name(OpenAgreement._meta.db_table)
    for definition in checks.indexes:
        cursor.execute(definition)
    for name, column, target, definition in checks.foreign_keys:
        try:
            with transaction.atomic():
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}"
                )
        except IntegrityError:
            cursor.execute(
                f"""
                SELECT min(s.line) FROM ledger_staging AS s
                WHERE NOT EXISTS (
                    SELECT FROM {target} AS k WHERE k.id = s.{column}
                )
                """  # noqa: S608  # nosec B608 - names from the catalogue
            )
            line = cursor.fetchone()[0]
            raise LedgerImportError(
                f"Line {line}: its {_KEY_COLUMNS.get(column, column)} was deleted "
                "while the file was being imported. Nothing was imported; "
                "import the file again."
            ) from None
    # Back to Django's default for the rest of an outer transaction.
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


# A staged row that failed a check: its number, no values, then the reason.
_NO_VALUES = "\t\\N" * (len(TARGET) - 1)


def _copy_escaped(values: tuple[str, ...]) -> list[str]:
    return [
        value.translate(_COPY_ESCAPES) if i in _FREE_TEXT else value
        for i, value in enumerate(values)
    ]


def _staged_rejects(
    cursor, *, staged_bad: int, may_repeat: bool
) -> tuple[int, list[tuple[int, str]]]:
    """Count and report (first lines first) the staged rows that are not
    written, and leave only the good first occurrences in the staging table.

    A row repeats when an earlier line with the same number was good; the
    first good one is kept.
    """
    if not may_repeat and not staged_bad:
        return 0, []
    cursor.execute(
        """
        CREATE TEMP TABLE ledger_repeat ON COMMIT DROP AS
        SELECT s.line, f.first_line
        FROM ledger_staging AS s
        JOIN (
            SELECT agreement_number, min(line) FILTER (WHERE error IS NULL)
                AS first_line
            FROM ledger_staging GROUP BY agreement_number HAVING count(*) > 1
        ) AS f USING (agreement_number)
        WHERE s.line > f.first_line AND %s
        """,
        [may_repeat],
    )
    repeats = cursor.rowcount
    if not repeats and not staged_bad:
        cursor.execute("DROP TABLE ledger_repeat")
        return 0, []
    cursor.execute(
        """
        SELECT s.line, s.agreement_number, s.error, r.first_line, count(*) OVER ()
        FROM ledger_staging AS s LEFT JOIN ledger_repeat AS r USING (line)
        WHERE s.error IS NOT NULL OR r.line IS NOT NULL
        ORDER BY s.line LIMIT %s
        """,
        [MAX_ERRORS_KEPT],
    )
    rows = cursor.fetchall()
    errors = [
        (
            line,
            _repeat_message(number, first_line) if first_line is not None else error,
        )
        for line, number, error, first_line, _total in rows
    ]
    cursor.execute(
        """
        DELETE FROM ledger_staging AS s
        WHERE s.error IS NOT NULL
        OR s.line IN (SELECT line FROM ledger_repeat)
        """
    )
    cursor.execute("DROP TABLE ledger_repeat")
    return (rows[0][4] if rows else 0), errors


def _import_batched(
    parser: _RowParser,
    records: Iterator[tuple[int, list[str]]],
    result: ImportResult,
) -> None:
    batch: list[OpenAgreement] = []
    seen: dict[str, int] = {}

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
    result.imported_at = now
    for line, record in records:
        try:
            number, fields = parser.number(record)
            if number in seen:
                raise ValueError(_repeat_message(number, seen[number]))
            values = parser.values(number, fields)
        except ValueError as error:
            result.reject(line, str(error))
            continue
        seen[number] = line
        batch.append(OpenAgreement(**_python_values(values), imported_at=now))
        if len(batch) >= SQLITE_BATCH:
            flush()
    if batch:
        flush()


def _python_values(values: tuple[str, ...]) -> dict:
    (number, org_number, name, customer_id, segment_id, licence_type_id) = values[:6]
    product_id, seats, revenue, currency, sale_date, flag = values[6:]
    return {
        "agreement_number": number,
        "reseller_org_number": org_number,
        "reseller_name": name,
        "customer_id": customer_id,
        "customer_segment_id": int(segment_id),
        "licence_type_id": int(licence_type_id),
        "product_id": int(product_id),
        "seats": int(seats),
        "revenue": Decimal(revenue),
        "currency": currency,
        "sale_date": dt.date.fromisoformat(sale_date),
        "new_customer": flag == "t",
    }


# Claims the import changed the ground of --------------------------------------


def claims_revalidate_after_import(
    *, imported_at: dt.datetime | None, actor=None
) -> int:
    """Validate again every undecided claim with an agreement number this
    import inserted or changed (the rows stamped `imported_at`), so reviewers
    never act on a stale "not in the ledger" report. Each claim in its own
    transaction (`claim_validate`); returns how many were revalidated."""
    if imported_at is None:
        return 0
    changed = OpenAgreement.objects.filter(imported_at__gte=imported_at).values(
        "agreement_number"
    )
    claim_ids = list(
        Claim.objects.undecided()
        .filter(agreements__agreement_number__in=changed)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    note = _("Validated again after a ledger import changed its agreements.")
    for claim_id in claim_ids:
        claim_validate(claim_id=claim_id, actor=actor, note=str(note))
    return len(claim_ids)


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
        revalidated = claims_revalidate_after_import(
            imported_at=result.imported_at, actor=upload.created_by
        )
        upload.message = (
            f"{result.inserted} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.rejected} rejected; "
            f"{revalidated} open claims validated again"
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
