"""`manage.py import_agreements FILE.csv`: import the Open agreement ledger.

Columns (UTF-8, header row, ISO dates, dot decimals, extra columns ignored):
agreement_number,reseller_org_number,reseller_name,customer_id,customer_segment,
licence_type,product_sku,seats,revenue,currency,sale_date,new_customer

A missing column stops before anything is written. Bad rows are listed by line
number and skipped; re-importing a file updates only the rows that changed.
On PostgreSQL the rows go through COPY into a staging table, then one UPDATE
of the changed rows and one INSERT of the new ones, under a lock that makes
concurrent imports take turns (readers are not blocked). Its measured
speed and memory are in docs/performance.md; `make bench` measures it again.
"""

import time
from contextlib import nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cashback.progress import Progress
from claims.ledger_import import (
    LedgerImportError,
    claims_revalidate_after_import,
    ledger_import,
)


class Command(BaseCommand):
    help = (
        "Import the Open agreement ledger from a CSV file (whole or nothing; "
        "about 37 s per million new rows on 2 cores)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--max-errors", type=int, default=100, help="Bad rows to list (default 100)"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check every row, report, then roll everything back.",
        )

    def handle(self, *args, file: Path, max_errors: int, dry_run: bool, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open("rb") as counting:
            total = max(sum(1 for _ in counting) - 1, 0)
        started = time.monotonic()
        bar = Progress(self.stderr, total=total, enabled=options["verbosity"] > 0)
        try:
            # A dry run is the real import in a transaction rolled back.
            with bar, transaction.atomic() if dry_run else nullcontext():
                with file.open(encoding="utf-8-sig", newline="") as stream:
                    result = ledger_import(stream=stream, progress=bar.update_to)
                if dry_run:
                    transaction.set_rollback(True)
        except LedgerImportError as error:
            raise CommandError(f"{error} Nothing was imported.") from None
        revalidated = (
            0
            if dry_run
            else claims_revalidate_after_import(imported_at=result.imported_at)
        )
        for line, reason in result.errors[:max_errors]:
            self.stderr.write(f"line {line}: {reason}")
        if result.rejected > max_errors:
            self.stderr.write(f"... and {result.rejected - max_errors} more bad rows")
        self.stdout.write(
            f"{'Dry run, nothing saved: ' if dry_run else ''}"
            f"{result.rows_read} rows read: {result.inserted} new, "
            f"{result.updated} updated, {result.unchanged} unchanged, "
            f"{result.rejected} rejected, in {time.monotonic() - started:.1f} s; "
            f"{revalidated} open claims validated again"
        )
