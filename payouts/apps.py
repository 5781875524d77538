from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    """Bank accounts, payouts, reminders, payment batches and reconciliation."""

    name = "payouts"
    verbose_name = _("Payouts")

    def ready(self) -> None:
        from claims.signals import (
            claim_approval_reversed,
            claim_approved,
            claim_reward_adjusted,
        )
        from resellers.signals import company_admin_added, company_admin_ended

        from .services import on_claim_approved, on_company_admin_ended
        from .services.corrections import (
            on_claim_approval_reversed,
            on_claim_reward_adjusted,
        )
        from .services.notifications import on_company_admin_added

        # An approved claim opens its payout in the approving transaction.
        claim_approved.connect(on_claim_approved, dispatch_uid="payouts.open_payout")
        # A reversed approval cancels the payout, an adjusted reward changes its
        # amount, in the correcting transaction (or refuses it).
        claim_approval_reversed.connect(
            on_claim_approval_reversed, dispatch_uid="payouts.cancel_on_reversal"
        )
        claim_reward_adjusted.connect(
            on_claim_reward_adjusted, dispatch_uid="payouts.adjust_amount"
        )
        # A company admin removed or demoted: the account's cooling-off
        # restarts and every admin is told, in the removing transaction.
        company_admin_ended.connect(
            on_company_admin_ended, dispatch_uid="payouts.company_admin_ended"
        )
        # A company gains an admin: the notices it was owed go out.
        company_admin_added.connect(
            on_company_admin_added, dispatch_uid="payouts.company_admin_added"
        )
