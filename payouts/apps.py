from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    """Bank accounts, payouts, reminders, payment batches and reconciliation."""

    name = "payouts"
    verbose_name = _("Payouts")

    def ready(self) -> None:
        from claims.signals import claim_approved

        from .services import on_claim_approved

        # An approved claim opens its payout in the approving transaction.
        claim_approved.connect(on_claim_approved, dispatch_uid="payouts.open_payout")
