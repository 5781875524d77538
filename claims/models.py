"""Claims, the agreements they cover, the Open agreement ledger, invoice copies
and the timeline of every claim."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cashback import reasons
from cashback.clock import program_day_start
from cashback.models import StateChangeEvent
from cashback.money import money
from offers.models import CustomerSegment, LicenceType, Offer, Product, Terms
from resellers.models import Reseller

from .querysets import (  # noqa: F401 - re-exported: claims.models is their address
    DISPUTE_WINDOW,
    DISPUTE_WINDOW_DAYS,
    ClaimQuerySet,
    ClaimStatus,
    dispute_last_day,
    seen_by_q,
)
from .storage import (  # noqa: F401 - re-exported: the migrations name them here
    PrivateStorage,
    invoice_upload_to,
    ledger_upload_to,
    private_storage,
)


class ClaimReferenceCounter(models.Model):
    """The last claim number used in a year; its row lock makes references unique."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("claim reference counter")
        verbose_name_plural = _("claim reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class OpenAgreement(models.Model):
    """One Open licence sale as the vendor's ledger records it (imported in bulk)."""

    agreement_number = models.CharField(
        _("agreement number"), max_length=20, unique=True
    )
    reseller_org_number = models.CharField(
        _("reseller organisation number"), max_length=40
    )
    reseller_name = models.CharField(_("reseller name as sold"), max_length=200)
    customer_id = models.CharField(_("customer id"), max_length=64)
    customer_segment = models.ForeignKey(
        CustomerSegment, on_delete=models.PROTECT, verbose_name=_("customer segment")
    )
    licence_type = models.ForeignKey(
        LicenceType, on_delete=models.PROTECT, verbose_name=_("licence type")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, verbose_name=_("product")
    )
    seats = models.PositiveIntegerField(_("seats"))
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    sale_date = models.DateField(_("sale date"))
    new_customer = models.BooleanField(_("new customer"))
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("Open agreement")
        verbose_name_plural = _("Open agreements")
        indexes = [
            models.Index(
                fields=["reseller_org_number"], name="agreement_org_number_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(revenue__gte=0), name="agreement_revenue_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.agreement_number


class RejectionReason(models.TextChoices):
    """Why a reviewer rejected a claim: stored as the code, shown in the reader's
    language (with the reviewer's own words after it)."""

    NOT_IN_LEDGER = "not_in_ledger", _("The agreement is not in the ledger")
    NOT_SOLD_BY_RESELLER = (
        "not_sold_by_reseller",
        _("The sale was made by another company"),
    )
    OUTSIDE_SALE_PERIOD = (
        "outside_sale_period",
        _("The sale is outside the sale period"),
    )
    PRODUCT_NOT_ELIGIBLE = (
        "product_not_eligible",
        _("Product, licence type or segment not eligible"),
    )
    BELOW_MINIMUM = "below_minimum", _("Below the minimum seats or new customers")
    EXCLUDED_PROGRAM = "excluded_program", _("Member of the excluded program")
    DUPLICATE = "duplicate", _("Already claimed")
    NO_INVOICE = "no_invoice", _("No invoice copy received")
    PRIVATE_EMAIL = (
        "private_email",
        _("The account was registered with a private e-mail address"),
    )
    NAME_MISMATCH = (
        "name_mismatch",
        _("The company name differs from the reseller's on the sale"),
    )
    OTHER = "other", _("Other (explain below)")


class CorrectionReason(models.TextChoices):
    """Why a reviewer or operator corrected a decision (a reversed approval, an
    adjusted reward, a cancelled payout): stored as the code, shown in the
    reader's language with the person's own words after it."""

    DECIDED_IN_ERROR = "decided_in_error", _("The decision was made in error")
    NEW_INFORMATION = "new_information", _("New information about the sale")
    CURRENCY_CONVERSION = (
        "currency_conversion",
        _("Revenue in another currency was converted"),
    )
    CALCULATION_ERROR = "calculation_error", _("The reward was calculated wrongly")
    DUPLICATE_PAYMENT = "duplicate_payment", _("The reward is paid another way")
    OTHER = "other", _("Other (explain below)")


# Every reason a claim's event can carry: a rejection's or a correction's.
EVENT_REASONS = {
    **dict(RejectionReason.choices),
    **dict(CorrectionReason.choices),
}


def reason_in_words(code: str, text: str) -> str:
    """A decision's reason in the current language: the code's label, then the
    reviewer's own words (cashback.reasons)."""
    return reasons.reason_in_words(code, text, EVENT_REASONS)


class Claim(models.Model):
    """A reseller's request for the reward of one offer."""

    Status = ClaimStatus

    class ValidationOutcome(models.TextChoices):
        PENDING = "pending", _("Not yet validated")
        PASS = "pass", _("All checks pass")
        UNKNOWN = "unknown", _("Some checks unknown")
        FAIL = "fail", _("Some checks fail")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("reseller"),
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="claims", verbose_name=_("offer")
    )
    # Copied from the offer when filed: the "one claim per reseller" rule is a
    # database constraint on it.
    claim_mode = models.CharField(
        _("claim mode"), max_length=20, choices=Offer.ClaimMode.choices
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="submitted_claims",
        verbose_name=_("submitted by"),
    )
    terms = models.ForeignKey(
        Terms, on_delete=models.PROTECT, related_name="claims", verbose_name=_("terms")
    )
    terms_accepted_at = models.DateTimeField(_("terms accepted at"))
    terms_accepted_ip = models.GenericIPAddressField(
        _("terms accepted from IP"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    validation_outcome = models.CharField(
        _("validation"),
        max_length=8,
        choices=ValidationOutcome.choices,
        default=ValidationOutcome.PENDING,
    )
    validation_report = models.JSONField(
        _("validation report"), default=dict, blank=True
    )
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    reward_amount = models.DecimalField(
        _("reward"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    reward_currency = models.CharField(_("reward currency"), max_length=3, blank=True)
    # A reviewer's correction of the computed reward (claims.services.corrections); the
    # payout pays this when it is set (`reward_to_pay`).
    adjusted_reward_amount = models.DecimalField(
        _("adjusted reward"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviewed_claims",
        null=True,
        blank=True,
        verbose_name=_("reviewer"),
    )
    decision_reason_code = models.CharField(
        _("decision reason"),
        max_length=32,
        choices=RejectionReason.choices,
        blank=True,
    )
    # The reviewer's own words, shown after the reason code's label.
    decision_reason = models.TextField(_("decision note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Audit trail (who changed what in admin or a service's save()); the event
    # rows record every state change, including bulk ones history cannot see.
    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["created_at"]
        permissions = [("review_claim", _("Can review claims (approve, reject, ask)"))]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "offer"],
                condition=Q(claim_mode="one_per_reseller") & ~Q(status="withdrawn"),
                name="claim_one_per_reseller_and_offer",
            ),
            models.CheckConstraint(
                condition=Q(reward_amount__isnull=True) | Q(reward_amount__gte=0),
                name="claim_reward_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(adjusted_reward_amount__isnull=True)
                | Q(adjusted_reward_amount__gte=0),
                name="claim_adjusted_reward_not_negative",
            ),
        ]
        indexes = [
            # A status filter in the queue's order (created_at, pk) without an
            # incremental sort (make bench, 1,000,000 claims).
            models.Index(fields=["status", "created_at", "id"], name="claim_queue_idx"),
            # The admin queue's default order (created_at, pk): without it the
            # first page sorted every claim (make bench, 1,000,000 claims).
            models.Index(fields=["created_at", "id"], name="claim_created_idx"),
            models.Index(fields=["reseller", "created_at"], name="claim_reseller_idx"),
            models.Index(fields=["offer", "status"], name="claim_offer_status_idx"),
            models.Index(fields=["validation_outcome"], name="claim_validation_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("claims:detail", kwargs={"reference": self.reference})

    @property
    def decision_reason_in_words(self) -> str:
        """The decision's reason in the current language (reason_in_words)."""
        return reason_in_words(self.decision_reason_code, self.decision_reason)

    @property
    def reward_to_pay(self):
        """The reward the payout pays: the adjusted amount when a reviewer
        corrected it, the computed one otherwise."""
        if self.adjusted_reward_amount is not None:
            return self.adjusted_reward_amount
        return self.reward_amount

    @property
    def dispute_last_day(self) -> dt.date | None:
        """The last whole day (program's time zone) this rejection can be
        disputed; None when it cannot."""
        if self.status != Claim.Status.REJECTED or self.disputed_at:
            return None
        if not self.decided_at:
            return None
        return dispute_last_day(self.decided_at)

    @property
    def dispute_until(self) -> dt.datetime | None:
        """Until when this rejection can be disputed (exclusive): midnight at
        the end of `dispute_last_day` in the program's time zone."""
        last_day = self.dispute_last_day
        if last_day is None:
            return None
        return program_day_start(last_day + dt.timedelta(days=1))


class ClaimAgreement(models.Model):
    """An agreement number a claim covers; once per offer for as long as it counts."""

    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="agreements",
        verbose_name=_("claim"),
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="+", verbose_name=_("offer")
    )
    agreement_number = models.CharField(_("agreement number"), max_length=20)
    # False once the claim is withdrawn, so the number can be claimed again.
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("claimed agreement")
        verbose_name_plural = _("claimed agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "agreement_number"],
                condition=Q(is_active=True),
                name="agreement_claimed_once_per_offer",
            )
        ]
        indexes = [
            models.Index(fields=["agreement_number"], name="claim_agreement_number_idx")
        ]

    def __str__(self) -> str:
        return self.agreement_number


class DuplicateAttempt(models.Model):
    """Another reseller tried to claim an agreement number already claimed (R7)."""

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, related_name="+", verbose_name=_("offer")
    )
    agreement_number = models.CharField(_("agreement number"), max_length=20)
    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="+", verbose_name=_("reseller")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    existing_claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="duplicate_attempts",
        verbose_name=_("existing claim"),
    )
    attempted_at = models.DateTimeField(_("attempted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("duplicate claim attempt")
        verbose_name_plural = _("duplicate claim attempts")
        ordering = ["-attempted_at"]

    def __str__(self) -> str:
        return f"{self.agreement_number} ({self.reseller})"


class ClaimEvent(StateChangeEvent):
    """One step of a claim's timeline: who did what, when and why."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Claim filed")
        VALIDATED = "validated", _("Validation run")
        REVIEW_STARTED = "review_started", _("Review started")
        INVOICE_REQUESTED = "invoice_requested", _("Invoice copy requested")
        INVOICE_UPLOADED = "invoice_uploaded", _("Invoice copy uploaded")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DISPUTED = "disputed", _("Disputed")
        APPROVAL_REVERSED = "approval_reversed", _("Approval reversed")
        ADJUSTMENT_REQUESTED = "adjustment_requested", _("Reward adjustment proposed")
        REWARD_ADJUSTED = "reward_adjusted", _("Reward adjusted")
        NUMBERS_FREED = "numbers_freed", _("Agreement numbers freed")

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="events", verbose_name=_("claim")
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    # A rejection's or correction's reason code; `message` then holds the
    # person's own words.
    reason_code = models.CharField(
        _("reason"), max_length=32, choices=list(EVENT_REASONS.items()), blank=True
    )
    # A validation run's outcome, worded when read (issue 28: it was stored as
    # words in the language the run happened to have). A database default:
    # older events and the bench's inserts have none.
    validation_outcome = models.CharField(
        _("validation"),
        max_length=10,
        choices=Claim.ValidationOutcome.choices,
        blank=True,
        db_default="",
    )
    # An adjusted reward: the amount computed by the validation and the one
    # paid instead (in the claim's reward currency).
    computed_amount = models.DecimalField(
        _("computed reward"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    adjusted_amount = models.DecimalField(
        _("adjusted reward"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta(StateChangeEvent.Meta):
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")

    def __str__(self) -> str:
        return f"{self.claim}: {self.get_kind_display()}"

    @property
    def message_in_words(self) -> str:
        """The message in the current language: a reason code's label first,
        or a validation run's outcome; an adjusted reward says the computed
        and the adjusted amount."""
        reason = reason_in_words(self.reason_code, self.message)
        if self.validation_outcome:
            outcome = str(self.get_validation_outcome_display())
            return f"{outcome} {reason}".strip()
        if self.adjusted_amount is None or self.computed_amount is None:
            return reason
        currency = self.claim.reward_currency
        amounts = _("Computed reward %(computed)s; adjusted reward %(adjusted)s.") % {
            "computed": money(self.computed_amount, currency),
            "adjusted": money(self.adjusted_amount, currency),
        }
        return f"{amounts} {reason}".strip()


class RewardAdjustment(models.Model):
    """A reviewer's corrected reward for a claim. One that raises the reward
    above the computed amount or above REWARD_ADJUSTMENT_CONFIRM_ABOVE waits
    for a second reviewer to confirm it (four eyes, as for batches)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second reviewer")
        APPLIED = "applied", _("Applied")
        SUPERSEDED = "superseded", _("Replaced by a later adjustment")

    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="reward_adjustments",
        verbose_name=_("claim"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    computed_amount = models.DecimalField(
        _("computed reward"), max_digits=14, decimal_places=2
    )
    amount = models.DecimalField(_("adjusted reward"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reason_code = models.CharField(
        _("reason"), max_length=32, choices=CorrectionReason.choices
    )
    reason = models.TextField(_("explanation"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    requested_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
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
        verbose_name = _("reward adjustment")
        verbose_name_plural = _("reward adjustments")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="reward_adjustment_not_negative"
            ),
            # Four eyes: whoever proposed a raise cannot confirm it.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | ~Q(confirmed_by=F("requested_by")),
                name="reward_adjustment_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim.reference}: {money(self.amount, self.currency)}"


class InvoiceDocument(models.Model):
    """A customer-invoice copy a reseller uploaded when a reviewer asked (R9)."""

    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="invoices",
        verbose_name=_("claim"),
    )
    file = models.FileField(
        _("file"), upload_to=invoice_upload_to, storage=private_storage
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("invoice copy")
        verbose_name_plural = _("invoice copies")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class AgreementImport(models.Model):
    """A ledger CSV a program manager uploaded in admin, imported by a task."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(
        _("CSV file"), upload_to=ledger_upload_to, storage=private_storage
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_written = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    # [[line, reason], ...] capped, so a broken file cannot bloat the row.
    errors = models.JSONField(_("rejected rows"), default=list, blank=True)
    message = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement ledger import")
        verbose_name_plural = _("agreement ledger imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
