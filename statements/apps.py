from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    """Payment statements and VAT documents (R25): number series, PDF and UBL,
    the finance export and the program's liability."""

    name = "statements"
    verbose_name = _("Statements")

    def ready(self) -> None:
        from payouts.signals import payout_paid, payout_returned

        from .services import on_payout_paid, on_payout_returned

        # A booked payment issues its statement and VAT document after commit;
        # a paid transfer the bank returns issues their correction.
        payout_paid.connect(on_payout_paid, dispatch_uid="statements.issue")
        payout_returned.connect(on_payout_returned, dispatch_uid="statements.correct")
