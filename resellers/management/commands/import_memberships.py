"""`manage.py import_memberships FILE.csv`: program memberships (MRI) from CSV."""

from collections.abc import Iterator
from contextlib import nullcontext
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cashback.progress import Progress
from resellers.importers import MissingColumnsError, memberships_import


def counted(handle: TextIO, bar: Progress) -> Iterator[str]:
    """The file's lines, moving the bar one row per line after the header."""
    for number, line in enumerate(handle):
        if number:
            bar.advance()
        yield line


class Command(BaseCommand):
    help = (
        "Import program memberships from a UTF-8 CSV with the columns "
        "reseller_org_number,program,start_date,end_date. Safe to re-run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path of the CSV file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check every row, report, then roll everything back.",
        )

    def handle(self, *args, file: str, dry_run: bool = False, **options) -> None:
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                total = max(sum(1 for _ in handle) - 1, 0)
                handle.seek(0)
                bar = Progress(
                    self.stderr, total=total, enabled=options["verbosity"] > 0
                )
                # A dry run is the real import in a transaction rolled back.
                with bar, transaction.atomic() if dry_run else nullcontext():
                    report = memberships_import(counted(handle, bar))
                    if dry_run:
                        transaction.set_rollback(True)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text.") from None
        except MissingColumnsError as error:
            raise CommandError(f"{error} (nothing was imported).") from None
        for line, number in report.unknown:
            self.stderr.write(
                f"line {line}: unknown organisation number {number}, kept until "
                "that company signs up"
            )
        for line, reason in report.malformed:
            self.stderr.write(f"line {line}: skipped, {reason}")
        self.stdout.write(
            f"{'Dry run, nothing saved: ' if dry_run else ''}"
            f"{report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.unknown)} unknown, "
            f"{len(report.malformed)} malformed"
        )
