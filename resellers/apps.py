from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResellersConfig(AppConfig):
    """Users, reseller companies, the e-mail domain policy and program memberships."""

    name = "resellers"
    verbose_name = _("Resellers")
