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

Modules: `parsing` (the CSV and its rows), `postgresql` (COPY and the
set-based statements), `sqlite` (batches), `runs` (an import, the claims it
revalidates, the admin upload).
"""

from .parsing import (
    COLUMNS,
    PROGRESS_EVERY,
    TARGET,
    ImportResult,
    LedgerImportError,
)
from .runs import (
    agreement_import_run,
    claims_revalidate_after_import,
    ledger_import,
    progress_key,
)

__all__ = [
    "COLUMNS",
    "PROGRESS_EVERY",
    "TARGET",
    "ImportResult",
    "LedgerImportError",
    "agreement_import_run",
    "claims_revalidate_after_import",
    "ledger_import",
    "progress_key",
]
