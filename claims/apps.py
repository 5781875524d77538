from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    """Claims, the Open agreement ledger, validation and the review workflow."""

    name = "claims"
    verbose_name = _("Claims")
