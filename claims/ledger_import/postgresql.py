"""The PostgreSQL load: rows streamed by COPY into a staging table, then a
few set-based statements (see the package's docstring)."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from ..models import OpenAgreement
from .parsing import (
    COPY_BLOCK,
    MAX_ERRORS_KEPT,
    TARGET,
    ImportResult,
    LedgerImportError,
    RowParser,
    repeat_message,
)

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


def import_postgresql(
    parser: RowParser,
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
            repeat_message(number, first_line) if first_line is not None else error,
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
