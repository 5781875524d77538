"""What passed through the bank's folders: each file written once, each read once."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from payouts.models import PaymentBatch


class OutboundBankFile(models.Model):
    """A batch's pain.001 as written to the bank's outbound folder: once per batch."""

    batch = models.OneToOneField(
        PaymentBatch, on_delete=models.PROTECT, related_name="outbound_file"
    )
    name = models.CharField(_("file name"), max_length=200, unique=True)
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("file sent to the bank")
        verbose_name_plural = _("files sent to the bank")
        ordering = ["-written_at"]

    def __str__(self) -> str:
        return self.name


class InboundBankFile(models.Model):
    """A file found in the bank's inbound folder, and what became of it."""

    class Status(models.TextChoices):
        READ = "read", _("Read")
        FAILED = "failed", _("Refused")

    name = models.CharField(_("file name"), max_length=200)
    message_id = models.CharField(_("message id"), max_length=35, blank=True)
    message_type = models.CharField(_("message type"), max_length=40, blank=True)
    original_message_id = models.CharField(
        _("original message id"), max_length=35, blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("file received from the bank")
        verbose_name_plural = _("files received from the bank")
        ordering = ["-received_at"]
        constraints = [
            # R22: a message is read once. Refused files keep their message id
            # (if one could be read) without blocking a later, good copy.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(status="read"),
                name="inbound_bank_file_read_once",
            )
        ]
        indexes = [models.Index(fields=["message_id"], name="inbound_bank_msg_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"
