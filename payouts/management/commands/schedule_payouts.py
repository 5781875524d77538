from django.core.management.base import BaseCommand

from payouts.services import payouts_schedule


class Command(BaseCommand):
    """Move ready payouts to scheduled once their release date has come (R14)."""

    help = "Schedule ready payouts whose release date has come."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report only; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        count = payouts_schedule(dry_run=dry_run)
        prefix = "Would schedule" if dry_run else "Scheduled"
        self.stdout.write(f"{prefix} {count} payout(s).")
