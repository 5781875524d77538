from django.core.management.base import BaseCommand, CommandError

from payouts.models import PaymentBatch
from payouts.services import BankResultsError, bank_results_apply
from resellers.models import User


class Command(BaseCommand):
    """Mark a released batch's payouts paid or failed from the bank's CSV (R13)."""

    help = "Apply the bank's results CSV to a released payment batch."

    def add_arguments(self, parser):
        parser.add_argument("message_id", help="The batch's pain.001 message id.")
        parser.add_argument(
            "file", help="CSV: end_to_end_id,status,bank_reference,reason"
        )
        parser.add_argument("--operator", required=True, help="Your staff e-mail.")

    def handle(self, *args, message_id: str, file: str, operator: str, **options):
        batch = PaymentBatch.objects.filter(message_id=message_id).first()
        if batch is None:
            raise CommandError(f"No payment batch {message_id}.")
        actor = User.objects.filter(email__iexact=operator, is_staff=True).first()
        if actor is None:
            raise CommandError(f"No staff user {operator}.")
        try:
            with open(file, encoding="utf-8-sig") as handle:
                result = bank_results_apply(
                    batch=batch, text=handle.read(), actor=actor
                )
        except (OSError, UnicodeDecodeError, BankResultsError) as error:
            raise CommandError(str(error)) from None
        for problem in result.problems:
            self.stderr.write(problem)
        self.stdout.write(result.summary)
