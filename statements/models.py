"""Payment statements, VAT documents, their number series and the reseller's
self-billing agreement (R25).

A document is written once, whole, and never changed: its content is a
snapshot (`content`) of what it says, and its PDF is rendered from that
snapshot when it is issued. A correction is a new document that names the
earlier one (`corrects`). The database refuses an UPDATE of either table
(migration 0002); the models refuse a second save.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.models import private_storage
from offers.models import Offer
from payouts.models import PaymentBatch, Payout
from resellers.models import Reseller

Kind = Offer.VatDocumentKind


class DocumentImmutable(Exception):
    """An issued statement or VAT document cannot change."""


class ImmutableModel(models.Model):
    """Written once by `save()` on a new row; any later save is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise DocumentImmutable(f"{self._meta.label} {self.pk} is issued.")
        super().save(*args, **kwargs)


class SelfBillingAgreement(models.Model):
    """A company's acceptance that the vendor issues its invoices (ML 17 kap.
    15 §): accepted by a company admin in the portal, recorded with who and
    when. Withdrawing it ends it; a later acceptance is a new row."""

    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, related_name="self_billing_agreements"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"))
    accepted_ip = models.GenericIPAddressField(
        _("accepted from IP"), null=True, blank=True
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("self-billing agreement")
        verbose_name_plural = _("self-billing agreements")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller"],
                condition=Q(withdrawn_at__isnull=True),
                name="self_billing_one_in_force",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reseller} ({self.accepted_at:%Y-%m-%d})"


class NumberSeries(models.Model):
    """The last number used in one series of VAT documents.

    One series per kind, and one per seller for self-billed invoices. The row
    is locked while a document takes its number, in the transaction that
    writes the document: a rolled-back issue gives its number back, so the
    series has no gap and no number twice.
    """

    key = models.CharField(_("series"), max_length=40, unique=True)
    prefix = models.CharField(_("prefix"), max_length=20)
    last_number = models.PositiveIntegerField(_("last number used"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.prefix}{self.last_number}"


def document_upload_to(instance: "PaymentStatement | VatDocument", filename: str):
    return f"statements/{instance.reseller_id}/{filename}"


class Purpose(models.TextChoices):
    ISSUE = "issue", _("Issued for the payment")
    CORRECTION = "correction", _("Correction")


class PaymentStatement(ImmutableModel):
    """What one payment pays, claim by claim, at what rate: the remittance
    advice of one payout paid in one batch."""

    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, related_name="payment_statements"
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, related_name="statements"
    )
    batch = models.ForeignKey(
        PaymentBatch, on_delete=models.PROTECT, related_name="statements"
    )
    payment_id = models.CharField(_("payment id"), max_length=35)
    execution_date = models.DateField(_("execution date"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount paid"), max_digits=14, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"))
    language = models.CharField(_("language"), max_length=8)
    content = models.JSONField(_("content"), editable=False)
    pdf = models.FileField(
        _("PDF"), storage=private_storage, upload_to=document_upload_to, max_length=200
    )

    class Meta:
        verbose_name = _("payment statement")
        verbose_name_plural = _("payment statements")
        ordering = ["-execution_date", "-pk"]
        constraints = [
            # A retried task never issues twice.
            models.UniqueConstraint(
                fields=["payout", "batch"], name="statement_once_per_payment"
            )
        ]
        indexes = [
            models.Index(
                fields=["reseller", "execution_date"], name="statement_reseller_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} ({self.execution_date})"


class VatDocument(ImmutableModel):
    """The VAT document of one payment: an amendment invoice (credit note), a
    self-billed invoice or a settlement note, numbered gap-free in its series."""

    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, related_name="vat_documents"
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, related_name="vat_documents"
    )
    batch = models.ForeignKey(
        PaymentBatch, on_delete=models.PROTECT, related_name="vat_documents"
    )
    statement = models.ForeignKey(
        PaymentStatement, on_delete=models.PROTECT, related_name="vat_documents"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.ISSUE
    )
    series = models.ForeignKey(
        NumberSeries, on_delete=models.PROTECT, related_name="documents"
    )
    number = models.CharField(_("number"), max_length=40)
    sequence = models.PositiveIntegerField(_("number in its series"))
    issue_date = models.DateField(_("issue date"))
    currency = models.CharField(_("currency"), max_length=3)
    taxable_amount = models.DecimalField(
        _("taxable amount"), max_digits=14, decimal_places=2
    )
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    total_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    language = models.CharField(_("language"), max_length=8)
    content = models.JSONField(_("content"), editable=False)
    pdf = models.FileField(
        _("PDF"), storage=private_storage, upload_to=document_upload_to, max_length=200
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("VAT document")
        verbose_name_plural = _("VAT documents")
        ordering = ["-issue_date", "-pk"]
        permissions = [
            ("export_vat_documents", "Can export the VAT documents of a period"),
        ]
        constraints = [
            # A retried task never issues twice: one per payment and purpose.
            models.UniqueConstraint(
                fields=["payout", "batch", "purpose"],
                name="vat_document_once_per_payment",
            ),
            models.UniqueConstraint(
                fields=["series", "sequence"], name="vat_document_number_once"
            ),
            models.CheckConstraint(
                condition=Q(purpose="issue", corrects__isnull=True)
                | Q(purpose="correction", corrects__isnull=False),
                name="vat_document_correction_names_original",
            ),
        ]
        indexes = [
            models.Index(fields=["issue_date", "kind"], name="vat_document_period_idx"),
            models.Index(
                fields=["reseller", "issue_date"], name="vat_document_reseller_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number
