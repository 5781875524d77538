from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from cashback.progress import Progress
from payouts.models import Payout
from payouts.services import payouts_send_reminders


class Command(BaseCommand):
    """Send due bank-details reminders and forfeit lapsed payouts (R11)."""

    help = "Send due bank-details reminders and forfeit lapsed payouts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report only; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        now = timezone.now()
        # The bar's total: payouts whose notice window may start, and those due.
        due = Payout.objects.filter(
            Q(notified_at__isnull=True) | Q(bank_details_due_at__lte=now),
            status=Payout.Status.AWAITING_BANK_DETAILS,
        ).count()
        bar = Progress(
            self.stderr, total=due, unit="payouts", enabled=options["verbosity"] > 0
        )
        with bar:
            result = payouts_send_reminders(
                now=now, dry_run=dry_run, progress=bar.advance
            )
        prefix = "Would have: " if dry_run else ""
        self.stdout.write(
            f"{prefix}windows started {result.windows_started}, "
            f"reminders {result.reminders}, forfeited {result.forfeited}"
        )
