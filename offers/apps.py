from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    """Products, offers, criteria, territories, terms versions and eligibility."""

    name = "offers"
    verbose_name = _("Offers")
