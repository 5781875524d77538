"""Delete what the register says has been kept long enough (the beat job's
work, on demand); --dry-run counts without deleting."""

from django.core.management.base import BaseCommand

from portal.privacy.retention import retention_run


class Command(BaseCommand):
    help = "Apply the retention periods of the register of personal data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count, delete nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        counts = retention_run(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {verb} {count}")
