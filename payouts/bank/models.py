"""What passed through the bank's folders: each file written once, each read once."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from payouts.models import PaymentBatch, Payout


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
    """A file found in the bank's inbound folder or uploaded by an operator,
    and what became of it.

    An uploaded file is kept encrypted (like a pain.001) with its uploader and
    waits for a second operator to confirm it before it is applied (issue 27);
    a file read from the bank's own folder is applied at once.
    """

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Waiting for a second operator")
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
    # Uploaded files only: the content, encrypted (crypto.bank_file_encrypt),
    # who uploaded it, and the second operator who confirmed it.
    content_encrypted = models.TextField(blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("uploaded by"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("file received from the bank")
        verbose_name_plural = _("files received from the bank")
        ordering = ["-received_at"]
        permissions = [
            (
                "confirm_bank_file",
                "Can confirm a bank file another operator uploaded",
            )
        ]
        constraints = [
            # Four eyes: whoever uploaded a file cannot confirm it.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | ~Q(confirmed_by=F("uploaded_by")),
                name="inbound_bank_file_confirmed_by_another",
            ),
            # R22: a message is read once. Refused files keep their message id
            # (if one could be read) without blocking a later, good copy.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(status="read"),
                name="inbound_bank_file_read_once",
            ),
        ]
        indexes = [models.Index(fields=["message_id"], name="inbound_bank_msg_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class BatchPayment(models.Model):
    """One payment of a released batch's pain.001, and the bank's latest word on it.

    Written at release, one per payout in the file, and kept when the payout
    moves on (a new cycle, a new batch): the reconciliation view counts these.
    """

    class Answer(models.TextChoices):
        SENT = "sent", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        BOOKED = "booked", _("Booked (paid)")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned")

    batch = models.ForeignKey(
        PaymentBatch, on_delete=models.PROTECT, related_name="bank_payments"
    )
    payout = models.ForeignKey(
        "payouts.Payout", on_delete=models.PROTECT, related_name="bank_payments"
    )
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    answer = models.CharField(
        _("bank's answer"), max_length=10, choices=Answer.choices, default=Answer.SENT
    )
    reason_code = models.CharField(_("reason code"), max_length=35, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment sent to the bank")
        verbose_name_plural = _("payments sent to the bank")
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "payout"], name="batch_payment_once"
            ),
            models.UniqueConstraint(
                fields=["batch", "end_to_end_id"], name="batch_payment_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} ({self.get_answer_display()})"


class BankDiscrepancy(models.Model):
    """Something a bank file says that the portal did not apply, for operators.

    An amount or currency that disagrees with the payout, a booking for a
    payout that is no longer with the bank, a payment of our file that is none
    of ours: the file is otherwise read, and this is listed in admin.
    """

    file = models.ForeignKey(
        InboundBankFile, on_delete=models.PROTECT, related_name="discrepancies"
    )
    payout = models.ForeignKey(
        "payouts.Payout",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_discrepancies",
    )
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    bank_amount = models.DecimalField(
        _("bank's amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    bank_currency = models.CharField(_("bank's currency"), max_length=3, blank=True)
    bank_reference = models.CharField(_("bank's reference"), max_length=35, blank=True)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("listed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank entry not applied")
        verbose_name_plural = _("bank entries not applied")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.end_to_end_id or '?'}: {self.reason[:60]}"


class BatchReconciliation(PaymentBatch):
    """Released batches with the bank's answers counted (admin's view)."""

    class Meta:
        proxy = True
        verbose_name = _("bank reconciliation")
        verbose_name_plural = _("bank reconciliation")


class ReturnedPayout(Payout):
    """Payouts the bank returned to an account still on file, waiting for an
    operator to pay them again or refuse the account (admin's view, issue 27)."""

    class Meta:
        proxy = True
        verbose_name = _("returned payment waiting for a decision")
        verbose_name_plural = _("returned payments waiting for a decision")
