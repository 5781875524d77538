from django.core.management.base import BaseCommand

from cashback.clock import program_today
from cashback.progress import Progress
from payouts.models import Payout
from payouts.services import payouts_schedule


class Command(BaseCommand):
    """Move ready payouts to scheduled once their release date has come (R14)."""

    help = "Schedule ready payouts whose release date has come."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report only; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        today = program_today()
        # The bar's total: what is due now (another run may take some of it).
        due = Payout.objects.filter(
            status=Payout.Status.READY, release_date__lte=today
        ).count()
        bar = Progress(
            self.stderr, total=due, unit="payouts", enabled=options["verbosity"] > 0
        )
        with bar:
            count = payouts_schedule(today=today, dry_run=dry_run, progress=bar.advance)
        prefix = "Would schedule" if dry_run else "Scheduled"
        self.stdout.write(f"{prefix} {count} payout(s).")
