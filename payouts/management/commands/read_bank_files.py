from django.core.management.base import BaseCommand

from payouts.bank.inbound import inbound_files_read, inbound_summary


class Command(BaseCommand):
    """Read each new file in the bank's inbound folder once (the beat job, now)."""

    help = "Read the bank's new files (pain.002, camt.054, camt.053, pacs.004)."

    def handle(self, *args, **options):
        summary = inbound_summary(inbound_files_read())
        self.stdout.write(
            f"Read {summary['read']} file(s), refused {summary['refused']}."
        )
        for reason in summary["reasons"]:
            self.stdout.write(f"  refused {reason}")
