"""`manage.py import_memberships FILE.csv`: program memberships (MRI) from CSV."""

from django.core.management.base import BaseCommand, CommandError

from resellers.importers import MissingColumnsError, memberships_import


class Command(BaseCommand):
    help = (
        "Import program memberships from a UTF-8 CSV with the columns "
        "reseller_org_number,program,start_date,end_date. Safe to re-run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path of the CSV file")

    def handle(self, *args, file: str, **options) -> None:
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                report = memberships_import(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text.") from None
        except MissingColumnsError as error:
            raise CommandError(f"{error} (nothing was imported).") from None
        for line, number in report.unknown:
            self.stderr.write(f"line {line}: unknown organisation number {number}")
        for line, reason in report.malformed:
            self.stderr.write(f"line {line}: skipped, {reason}")
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.unknown)} unknown, "
            f"{len(report.malformed)} malformed"
        )
