from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CashbackConfig(AppConfig):
    """The shared kernel: outbox, health checks, money helpers."""

    name = "cashback"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks, jobs, security_log  # noqa: F401  (checks registers checks)
        from .middleware import mark_session_activity, mark_session_start

        user_logged_in.connect(
            lambda sender, request, user, **kwargs: mark_session_activity(request),
            weak=False,
            dispatch_uid="cashback.mark_session_activity",
        )
        user_logged_in.connect(
            lambda sender, request, user, **kwargs: mark_session_start(request),
            weak=False,
            dispatch_uid="cashback.mark_session_start",
        )
        security_log.connect()  # log-ins, second factors, permission changes
        jobs.connect()  # admin: the last run of each scheduled job
