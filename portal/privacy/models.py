"""What the personal-data features keep: each export a person asked for, each
account closed, and each deletion the retention job made (kind and count)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_upload_to(instance: "DataExport", filename: str) -> str:
    return f"exports/{instance.token}.zip"


def export_storage():
    # Claims owns the project's private storage (STORAGES["private"]).
    from claims.models import private_storage

    return private_storage()


class DataExport(models.Model):
    """A person's copy of their data: a ZIP built by a task, kept 7 days."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="data_exports",
        verbose_name=_("user"),
    )
    token = models.CharField(_("token"), max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    file = models.FileField(
        _("file"), upload_to=export_upload_to, storage=export_storage, blank=True
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.token[:8]} ({self.get_status_display()})"

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == self.Status.READY
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )


class AccountClosure(models.Model):
    """An account closed and its person replaced by a pseudonym (R26): by the
    person, or by staff on a written request (with the reason)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="closure",
        verbose_name=_("account"),
    )
    pseudonym = models.CharField(_("pseudonym"), max_length=40)
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by staff"),
    )
    reason = models.TextField(_("written request"), blank=True)

    class Meta:
        verbose_name = _("closed account")
        verbose_name_plural = _("closed accounts")
        ordering = ["-closed_at"]
        permissions = [
            ("close_account", "Can close a person's account on their written request")
        ]

    def __str__(self) -> str:
        return self.pseudonym


class RetentionDeletion(models.Model):
    """What one run of the retention job deleted: a kind and a count, never
    the content."""

    kind = models.CharField(_("kind"), max_length=40)
    count = models.PositiveIntegerField(_("count"))
    ran_at = models.DateTimeField(_("ran at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("retention deletion")
        verbose_name_plural = _("retention deletions")
        ordering = ["-ran_at", "kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.count} @ {self.ran_at:%Y-%m-%d}"
