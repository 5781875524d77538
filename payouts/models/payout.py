"""The payout of one approved claim, from notice to payment, and its reminders."""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cashback.money import money
from claims.models import Claim, seen_by_q
from offers.models import Offer
from resellers.models import Reseller

from .accounts import BankAccount
from .batches import PaymentBatch
from .rates import ExchangeRate


class PayoutQuerySet(models.QuerySet):
    """Payouts, with the queue's buckets (payouts/queue.py) as methods."""

    def seen_by(self, user) -> "PayoutQuerySet":
        """The payouts `user` may read: those of the claims they may read
        (`claims.models.seen_by_q`)."""
        return self.filter(seen_by_q(user, via="claim__"))

    def open(self) -> "PayoutQuerySet":
        """Payouts still open (neither paid nor forfeited)."""
        from ..queue import open_q  # the queue reads Payout.Status

        return self.filter(open_q())

    def deadline(self, key: str, today) -> "PayoutQuerySet":
        """Open payouts near (`soon`) or past (`past`) their payment deadline."""
        from ..queue import deadline_q

        return self.filter(deadline_q(key, today))

    def to_account_still_on_file(self) -> "PayoutQuerySet":
        """Payouts whose account is still the company's current one, unrefused."""
        return self.filter(
            bank_account__is_current=True, bank_account__refused_at__isnull=True
        )

    def returned_awaiting_decision(self) -> "PayoutQuerySet":
        """Payments the bank returned to an account still on file: an operator
        pays them again or refuses the account (issue 27)."""
        return self.filter(status=Payout.Status.FAILED).to_account_still_on_file()


class Payout(models.Model):
    """The money for one approved claim, from notice to payment."""

    class Status(models.TextChoices):
        AWAITING_BANK_DETAILS = "awaiting_bank_details", _("Waiting for bank details")
        READY = "ready", _("Ready")
        SCHEDULED = "scheduled", _("Scheduled")
        IN_BATCH = "in_batch", _("In a payment batch")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Payment failed")
        FORFEITED = "forfeited", _("Forfeited")
        CANCELLED = "cancelled", _("Cancelled")

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="payout", verbose_name=_("claim")
    )
    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        related_name="payouts",
        verbose_name=_("reseller"),
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("offer")
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=Status.choices,
        default=Status.AWAITING_BANK_DETAILS,
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("reward currency"), max_length=3)
    payout_amount = models.DecimalField(
        _("payout amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    payout_currency = models.CharField(_("payout currency"), max_length=3, blank=True)
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=8, null=True, blank=True
    )
    # The rate row `exchange_rate` was read from: the database refuses to
    # delete a rate a payout was converted with.
    converted_with = models.ForeignKey(
        ExchangeRate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
        verbose_name=_("converted with"),
    )
    bank_account = models.ForeignKey(
        BankAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
        verbose_name=_("bank account"),
    )
    cycle = models.PositiveIntegerField(_("bank-details cycle"), default=1)
    notified_at = models.DateTimeField(_("notice sent at"), null=True, blank=True)
    bank_details_due_at = models.DateTimeField(
        _("bank details due at"), null=True, blank=True
    )
    reminders_sent = models.PositiveIntegerField(_("reminders sent"), default=0)
    release_date = models.DateField(_("release date"))
    payment_deadline = models.DateField(_("payment deadline"))
    batch = models.ForeignKey(
        PaymentBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
        verbose_name=_("batch"),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(
        _("payment reference"), max_length=35, blank=True
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    # The bank's ISO 20022 reason code for the last refusal or return: the
    # reseller reads it in plain words in their language (bank/reason_codes.py).
    failure_code = models.CharField(_("bank's reason code"), max_length=35, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Audit trail (who changed what in admin or a service's save()); the event
    # rows record every state change, including bulk ones history cannot see.
    objects = PayoutQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        permissions = [
            ("record_bank_result", "Can record the bank's answer by hand"),
            ("cancel_payout", "Can cancel a payout before its batch is released"),
        ]
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="payout_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(payout_amount__isnull=True) | Q(payout_amount__gte=0),
                name="payout_converted_amount_not_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "bank_details_due_at"], name="payout_due_idx"
            ),
            models.Index(fields=["status", "release_date"], name="payout_release_idx"),
            models.Index(
                fields=["status", "payment_deadline"], name="payout_deadline_idx"
            ),
            models.Index(fields=["reseller", "created_at"], name="payout_reseller_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.claim.reference}: {money(self.amount, self.currency)}"

    def expected_payment_by(self, today: dt.date) -> dt.date | None:
        """The one home of the date a reseller is told to expect the money by:
        the payment deadline (R15), never before the release date (R14);
        None once paid, lapsed or cancelled, or when that date has passed
        unpaid (the money then goes in the next payment run, no date to give).
        """
        if self.status in (
            self.Status.PAID,
            self.Status.FORFEITED,
            self.Status.CANCELLED,
        ):
            return None
        expected = max(self.release_date, self.payment_deadline)
        return expected if expected >= today else None

    @property
    def failure_words(self) -> str:
        """Why the bank refused the last payment, in the reader's language."""
        from payouts.bank.reason_codes import reason_words

        return reason_words(self.failure_code, self.failure_reason)


class Reminder(models.Model):
    """A bank-details reminder: one row per payout, cycle and number, sent once."""

    payout = models.ForeignKey(
        Payout,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("payout"),
    )
    cycle = models.PositiveIntegerField(_("cycle"))
    number = models.PositiveIntegerField(_("number"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["payout", "cycle", "number"], name="reminder_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payout_id} #{self.cycle}.{self.number}"
