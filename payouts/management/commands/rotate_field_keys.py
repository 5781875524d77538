"""`manage.py rotate_field_keys`: re-encrypt bank account numbers with the newest
key of FIELD_ENCRYPTION_KEYS, after a new key was put in front of the list.

Run it once every process has the new list (old keys still decrypt meanwhile);
when it has finished, the old key can be removed from the list.
"""

from django.core.management.base import BaseCommand

from cashback.progress import Progress
from payouts.models import BankAccount
from payouts.services import bank_accounts_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every stored account number with the newest field key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the account numbers to re-encrypt; change nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        total = BankAccount.objects.count()
        if dry_run:
            self.stdout.write(f"Would re-encrypt {total} account number(s).")
            return
        with Progress(
            self.stderr, total=total, unit="accounts", enabled=options["verbosity"] > 0
        ) as bar:
            count = bank_accounts_reencrypt()
            bar.update_to(count)
        self.stdout.write(
            f"Re-encrypted {count} account number(s) with the newest key."
        )
