from django.core.management.base import BaseCommand

from payouts.services import payouts_send_reminders


class Command(BaseCommand):
    """Send due bank-details reminders and forfeit lapsed payouts (R11)."""

    help = "Send due bank-details reminders and forfeit lapsed payouts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report only; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        result = payouts_send_reminders(dry_run=dry_run)
        prefix = "Would have: " if dry_run else ""
        self.stdout.write(
            f"{prefix}windows started {result.windows_started}, "
            f"reminders {result.reminders}, forfeited {result.forfeited}"
        )
