from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal data (R26): the register, "your data", closing an account and
    the retention job. It composes every app, so it sits in the portal layer."""

    name = "portal.privacy"
    label = "privacy"
    verbose_name = _("Personal data")
