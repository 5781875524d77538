"""Payment batches, built by one operator and released by another, and why a
payout was taken out of one or a batch cancelled."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cashback import reasons

# The staff group of operators: they receive the deadline summary and the
# alerts about held accounts and refused batches.
OPERATORS_GROUP = "Operators"


class BatchChangeReason(models.TextChoices):
    """Why an operator took a payout out of a draft batch or cancelled the batch:
    stored as the code, shown in the reader's language with the operator's words."""

    DETAILS_IN_DOUBT = "details_in_doubt", _("Bank details to be checked")
    DECISION_UNDER_REVIEW = (
        "decision_under_review",
        _("The claim's decision is being corrected"),
    )
    WRONG_AMOUNT = "wrong_amount", _("The amount is to be corrected")
    BUILT_BY_MISTAKE = "built_by_mistake", _("Batch built by mistake")
    OTHER = "other", _("Other (explain below)")


def batch_reason_in_words(code: str, text: str) -> str:
    """A batch change's reason in the current language: the code's label, then
    the operator's words (cashback.reasons)."""
    return reasons.reason_in_words(code, text, dict(BatchChangeReason.choices))


class PaymentBatch(models.Model):
    """Scheduled payouts of one currency: built by one operator, released by another.

    Only a draft batch may change: a payout taken out, or the whole batch
    cancelled (its payouts stay scheduled, free for another batch). Once
    released, its file is with the bank and nothing of it changes.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RELEASED = "released", _("Released")
        CLOSED = "closed", _("Closed")
        # The bank refused the whole file (pain.002 group RJCT): its payouts
        # went back to scheduled for a new batch.
        REJECTED = "rejected", _("Rejected by the bank")
        CANCELLED = "cancelled", _("Cancelled")

    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    # Encrypted at rest (crypto.payment_file_encrypt): read payment_file_xml().
    payment_file = models.TextField(_("pain.001 file"), blank=True, editable=False)
    total_amount = models.DecimalField(
        _("total"), max_digits=16, decimal_places=2, default=0
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason_code = models.CharField(
        _("reason"), max_length=32, choices=BatchChangeReason.choices, blank=True
    )
    cancel_reason = models.TextField(_("reason in words"), blank=True)

    # The file itself stays out: it is large and names every account in clear.
    history = HistoricalRecords(excluded_fields=["payment_file"])

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        ordering = ["-created_at"]
        permissions = [
            (
                "change_draft_batch",
                "Can take payouts out of a draft batch or cancel it",
            )
        ]
        constraints = [
            # Four eyes: the operator who built a batch cannot release it.
            models.CheckConstraint(
                condition=Q(released_by__isnull=True) | ~Q(released_by=F("created_by")),
                name="batch_released_by_another_operator",
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.currency})"

    def payment_file_xml(self) -> str:
        """The pain.001 file in clear ("" before release): stored encrypted."""
        from ..crypto import payment_file_decrypt

        return payment_file_decrypt(self.payment_file) if self.payment_file else ""
