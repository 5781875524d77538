"""Models of the shared kernel."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """An e-mail written in the same transaction as the change that causes it.

    A task delivers it after commit; a periodic relay delivers whatever is still
    pending (broker down, process died between commit and enqueue). The unique
    dedup key makes a second write of the same notice a no-op, and the row lock
    taken while sending makes two deliverers send it once.
    """

    dedup_key = models.CharField(_("de-duplication key"), max_length=200, unique=True)
    recipients = models.JSONField(_("recipients"))
    subject = models.CharField(_("subject"), max_length=255)
    text_body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.recipients)}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None
