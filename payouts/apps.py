from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    """Bank accounts, payouts, reminders, payment batches and reconciliation."""

    name = "payouts"
    verbose_name = _("Payouts")
