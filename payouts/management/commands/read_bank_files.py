from django.core.management.base import BaseCommand

from payouts.bank.connection import batch_files_send_unsent
from payouts.bank.inbound import inbound_summary
from payouts.services import bank_files_read


class Command(BaseCommand):
    """Send unsent batches, then read each new file in the bank's inbound folder
    once and apply it (the beat job, now)."""

    help = "Read the bank's new files (pain.002, camt.054, camt.053, pacs.004)."

    def handle(self, *args, **options):
        sent = batch_files_send_unsent()
        summary = inbound_summary(bank_files_read())
        self.stdout.write(
            f"Sent {sent} file(s). "
            f"Read {summary['read']} file(s), refused {summary['refused']}."
        )
        for reason in summary["reasons"]:
            self.stdout.write(f"  refused {reason}")
