"""A payout's history, shown to the reseller in plain words."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cashback.models import StateChangeEvent
from claims.models import CorrectionReason

from .payout import Payout


class PayoutEvent(StateChangeEvent):
    """One step in a payout's history, shown to the reseller in plain words."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Payout opened")
        NOTICE_SENT = "notice_sent", _("Bank-details invitation sent")
        REMINDER_SENT = "reminder_sent", _("Reminder sent")
        BANK_DETAILS_SUBMITTED = "bank_details_submitted", _("Bank details submitted")
        BANK_DETAILS_CONFIRMED = "bank_details_confirmed", _("Bank details confirmed")
        SCHEDULED = "scheduled", _("Scheduled for payment")
        BATCHED = "batched", _("Added to a payment batch")
        UNBATCHED = "unbatched", _("Taken out of a draft payment batch")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Payment failed")
        FORFEITED = "forfeited", _("Forfeited")
        CANCELLED = "cancelled", _("Cancelled")
        AMOUNT_ADJUSTED = "amount_adjusted", _("Amount adjusted")
        # The bank's messages (payouts/services/bank_results.py).
        BANK_ACCEPTED = "bank_accepted", _("Accepted by the bank")
        BANK_REJECTED = "bank_rejected", _("Refused by the bank (vendor's side)")
        BANK_RETURNED = "bank_returned", _("Returned by the bank")
        BANK_CONFIRMED = "bank_confirmed", _("Confirmed by the bank again")
        BANK_DISAGREES = "bank_disagrees", _("Bank entry listed for operators")
        RETURN_DECIDED = "return_decided", _("Return decided by an operator")

    payout = models.ForeignKey(
        Payout,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("payout"),
    )
    kind = models.CharField(_("event"), max_length=24, choices=Kind.choices)
    # A correction's reason code; `message` then holds the person's own words.
    # A database default: the set-based moves insert events by INSERT ... SELECT.
    reason_code = models.CharField(
        _("reason"),
        max_length=32,
        choices=CorrectionReason.choices,
        blank=True,
        db_default="",
    )
    # For the bank's messages: its reason code and its date (booking or
    # return), so the reseller reads them in plain words in their language.
    # Database defaults: set-based moves insert events without these columns.
    bank_code = models.CharField(
        _("bank's reason code"), max_length=35, blank=True, db_default=""
    )
    bank_date = models.DateField(_("bank's date"), null=True, blank=True)

    class Meta(StateChangeEvent.Meta):
        verbose_name = _("payout event")
        verbose_name_plural = _("payout events")

    def __str__(self) -> str:
        return f"{self.payout_id}: {self.get_kind_display()}"
