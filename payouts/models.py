"""Bank accounts, payouts, reminders, exchange rates and payment batches."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from cashback import reasons
from cashback.models import StateChangeEvent
from cashback.money import money
from claims.models import Claim, CorrectionReason, seen_by_q
from offers.models import Offer
from resellers.models import Reseller


class BankAccountQuerySet(models.QuerySet):
    def notice_undelivered(self) -> "BankAccountQuerySet":
        """Accounts held because the notice that starts their cooling-off has
        not yet reached the mail server for every admin (issue 27)."""
        return self.filter(BankAccount.notice_undelivered_q())

    def shared_waiting(self) -> "BankAccountQuerySet":
        """Accounts with another company's number, waiting for an operator
        to clear or refuse them (issue 27)."""
        return self.filter(BankAccount.shared_waiting_q())


class BankAccount(models.Model):
    """One version of a reseller's bank details; a change is a new version.

    The account number (IBAN or national number) is stored encrypted; only its
    last four characters are kept in clear, for display.
    """

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        related_name="bank_accounts",
        verbose_name=_("reseller"),
    )
    version = models.PositiveIntegerField(_("version"))
    is_current = models.BooleanField(_("current"), default=True)
    beneficiary_name = models.CharField(_("beneficiary name"), max_length=200)
    account_number_encrypted = models.TextField(editable=False)
    # Keyed hash of the normalised account number: finds one account used by two
    # resellers without decrypting anything.
    account_fingerprint = models.CharField(max_length=64, editable=False, db_index=True)
    account_last4 = models.CharField(_("account ends with"), max_length=4)
    is_iban = models.BooleanField(_("IBAN"), default=True)
    bank_code = models.CharField(_("bank code"), max_length=20, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_country = CountryField(_("bank country"))
    currency = models.CharField(_("currency"), max_length=3)
    # Set when another reseller has an account with the same fingerprint: a
    # reviewer looks before anything is paid to it.
    shared_with_other_reseller = models.BooleanField(
        _("same account as another reseller"), default=False, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Payment-redirection fraud (issue 15): a new account is paid only once
    # every company admin was told and did not object until
    # `cooling_off_until`, or once an operator verified it another way.
    # Set once the outbox handed the notice named by `told_notice_key` (the
    # dedup-key prefix of its messages) to the mail server for every admin;
    # the cooling-off counts from then, never from the queueing (issue 27).
    admins_told_at = models.DateTimeField(_("admins told at"), null=True, blank=True)
    told_notice_key = models.CharField(
        _("notice whose delivery starts the cooling-off"),
        max_length=120,
        blank=True,
        editable=False,
    )
    cooling_off_until = models.DateTimeField(
        _("cooling-off until"), null=True, blank=True
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("verified by"),
    )
    verification_method = models.TextField(_("how it was verified"), blank=True)
    # "This was not us": nothing is paid to a frozen account.
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_reason = models.TextField(_("why frozen"), blank=True)
    # The bank refused a payment to it: never paid again, never re-entered.
    refused_at = models.DateTimeField(
        _("refused by the bank at"), null=True, blank=True
    )
    refusal_reason = models.TextField(_("bank's refusal reason"), blank=True)
    # A shared account is paid only after an operator cleared it with a reason.
    shared_cleared_at = models.DateTimeField(
        _("sharing cleared at"), null=True, blank=True
    )
    shared_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("cleared by"),
    )
    shared_cleared_reason = models.TextField(_("why sharing is cleared"), blank=True)

    # Audit trail: who created or changed which version (encrypted field only).
    history = HistoricalRecords()

    objects = BankAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        permissions = [
            ("verify_bank_account", "Can verify a new bank account"),
            ("clear_shared_bank_account", "Can clear an account shared by companies"),
        ]
        ordering = ["reseller", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "version"], name="bank_account_unique_version"
            ),
            models.UniqueConstraint(
                fields=["reseller"],
                condition=Q(is_current=True),
                name="bank_account_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_name} ****{self.account_last4}"

    @property
    def can_be_confirmed(self) -> bool:
        """Whether an admin may still confirm payouts to this account: not
        once the bank refused it nor once the company froze it."""
        return self.refused_at is None and self.frozen_at is None

    @property
    def masked_account(self) -> str:
        return f"****{self.account_last4}"

    @staticmethod
    def notice_undelivered_q() -> Q:
        """`notice_undelivered` as a condition, for counts beside others."""
        return Q(admins_told_at__isnull=True, verified_at__isnull=True) & ~Q(
            told_notice_key=""
        )

    @staticmethod
    def shared_waiting_q() -> Q:
        """`shared_waiting` as a condition, for counts beside others."""
        return Q(
            shared_with_other_reseller=True,
            shared_cleared_at__isnull=True,
            refused_at__isnull=True,
        )


class ExchangeRateQuerySet(models.QuerySet):
    def awaiting_second_operator(self) -> "ExchangeRateQuerySet":
        """Rates entered too far from the pair's previous one, not confirmed yet."""
        return self.filter(confirmation_required=True, confirmed_at__isnull=True)

    def usable(self) -> "ExchangeRateQuerySet":
        """Rates a payout may be converted with: every rate but those above."""
        return self.filter(
            Q(confirmation_required=False) | Q(confirmed_at__isnull=False)
        )


class ExchangeRate(models.Model):
    """Units of `quote_currency` for one unit of `base_currency` on a date.

    A rate too far from the pair's previous one (or the pair's first) waits for
    a second operator before a payout may use it (payouts.services.rates).
    """

    base_currency = models.CharField(_("from currency"), max_length=3)
    quote_currency = models.CharField(_("to currency"), max_length=3)
    rate_date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    confirmation_required = models.BooleanField(
        _("needs a second operator"), default=False
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

    objects = ExchangeRateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-rate_date", "base_currency", "quote_currency"]
        permissions = [
            (
                "confirm_exchange_rate",
                "Can confirm an exchange rate another operator entered",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["base_currency", "quote_currency", "rate_date"],
                name="exchange_rate_unique_day",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0), name="exchange_rate_positive"
            ),
            # Four eyes: whoever entered a rate cannot confirm it.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | ~Q(confirmed_by=F("entered_by")),
                name="exchange_rate_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.base_currency}/{self.quote_currency} {self.rate_date}: {self.rate}"
        )


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
        from .crypto import payment_file_decrypt

        return payment_file_decrypt(self.payment_file) if self.payment_file else ""


class PayoutQuerySet(models.QuerySet):
    """Payouts, with the queue's buckets (payouts/queue.py) as methods."""

    def seen_by(self, user) -> "PayoutQuerySet":
        """The payouts `user` may read: those of the claims they may read
        (`claims.models.seen_by_q`)."""
        return self.filter(seen_by_q(user, via="claim__"))

    def open(self) -> "PayoutQuerySet":
        """Payouts still open (neither paid nor forfeited)."""
        from .queue import open_q  # the queue reads Payout.Status

        return self.filter(open_q())

    def deadline(self, key: str, today) -> "PayoutQuerySet":
        """Open payouts near (`soon`) or past (`past`) their payment deadline."""
        from .queue import deadline_q

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


# The bank connection's records live beside its code (payouts/bank/); imported
# here so that Django and its migrations see them as this app's models.
from payouts.bank.models import (  # noqa: E402, F401
    BankDiscrepancy,
    BatchPayment,
    InboundBankFile,
    OutboundBankFile,
    ReturnedPayout,
)
