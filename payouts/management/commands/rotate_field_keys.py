"""`manage.py rotate_field_keys`: re-encrypt bank account numbers with the newest
key of FIELD_ENCRYPTION_KEYS, after a new key was put in front of the list.

Run it once every process has the new list (old keys still decrypt meanwhile);
when it has finished, the old key can be removed from the list.
"""

from django.core.management.base import BaseCommand

from cashback.progress import Progress
from payouts.models import BankAccount, InboundBankFile, PaymentBatch
from payouts.services import bank_accounts_reencrypt, payment_files_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every stored account number with the newest field key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the account numbers to re-encrypt; change nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        # The account numbers and their history rows, then the pain.001 files
        # and the bank files uploaded by hand.
        total = BankAccount.objects.count() + BankAccount.history.count()
        files = (
            PaymentBatch.objects.exclude(payment_file="").count()
            + InboundBankFile.objects.exclude(content_encrypted="").count()
        )
        if dry_run:
            self.stdout.write(f"Would re-encrypt {total} account number(s).")
            self.stdout.write(f"Would re-encrypt {files} payment file(s).")
            return
        with Progress(
            self.stderr, total=total, unit="accounts", enabled=options["verbosity"] > 0
        ) as bar:
            count = bank_accounts_reencrypt()
            bar.update_to(count)
        self.stdout.write(
            f"Re-encrypted {count} account number(s) with the newest key."
        )
        files = payment_files_reencrypt()
        self.stdout.write(f"Re-encrypted {files} payment file(s) with the newest key.")
