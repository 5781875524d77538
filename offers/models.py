"""Products, offers with their criteria and territories, and terms versions."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from cashback.models import StateChangeEvent

from .validators import offer_currency_errors, offer_date_errors


class Product(models.Model):
    """A licensable product, by SKU (the ledger's `product_sku`)."""

    class Deployment(models.TextChoices):
        CLOUD = "cloud", _("Cloud")
        ON_PREMISES = "on_premises", _("On-premises")

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    family = models.CharField(_("product family"), max_length=100, blank=True)
    deployment = models.CharField(
        _("deployment"), max_length=12, choices=Deployment.choices
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LicenceType(models.Model):
    """Open License, Open Value, Open Value Subscription, ..."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerSegment(models.Model):
    """Commercial, government, education, charity."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A Cash Back offer: who qualifies, for which sales, what it pays and when."""

    # What a filed claim was judged and computed on (R21): fixed once the offer
    # has a claim. A change is a corrected offer (archive this one, publish
    # another) or a new terms version, which existing claims keep theirs of.
    FIXED_ONCE_CLAIMED = (
        "sale_starts_on",
        "sale_ends_on",
        "claim_opens_on",
        "claim_closes_on",
        "calculation_date",
        "territories",
        "products",
        "licence_types",
        "segments",
        "min_seats_per_agreement",
        "min_net_new_customers",
        "excluded_program",
        "excluded_from",
        "excluded_until",
        "claim_mode",
        "reward_basis",
        "reward_value",
        "reward_cap",
        "reward_currency",
        "payout_currencies",
    )

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class ClaimMode(models.TextChoices):
        ONE_PER_RESELLER = "one_per_reseller", _("One claim per reseller")
        ONE_PER_SALE = "one_per_sale", _("One claim per sale")

    class VatDocumentKind(models.TextChoices):
        """The VAT document each payout of the offer carries (R25)."""

        CREDIT_NOTE = "credit_note", _("Amendment invoice (credit note)")
        SELF_BILLED_INVOICE = "self_billed_invoice", _("Self-billed invoice")
        SETTLEMENT_NOTE = "settlement_note", _("Settlement note (indirect rebate)")

    class RewardBasis(models.TextChoices):
        PERCENT_OF_REVENUE = "percent_of_revenue", _("Percent of eligible revenue")
        AMOUNT_PER_SEAT = "amount_per_seat", _("Amount per seat")
        AMOUNT_PER_NEW_CUSTOMER = (
            "amount_per_new_customer",
            _("Amount per net new customer"),
        )

    title_en = models.CharField(_("title (English)"), max_length=200)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Days are dates in the program's time zone (Europe/Stockholm), both ends included.
    sale_starts_on = models.DateField(_("sale period starts"))
    sale_ends_on = models.DateField(_("sale period ends"))
    claim_opens_on = models.DateField(_("claim window opens"))
    claim_closes_on = models.DateField(
        _("claim window closes"), help_text=_("The last day a claim can be filed.")
    )
    calculation_date = models.DateField(_("calculation date"))
    payment_term_days = models.PositiveIntegerField(
        _("payment term (days)"), default=60
    )
    bank_details_term_days = models.PositiveIntegerField(
        _("bank-details term (days)"), default=5
    )
    reminder_interval_days = models.PositiveIntegerField(
        _("reminder interval (days)"), default=5
    )
    max_reminders = models.PositiveIntegerField(_("maximum reminders"), default=3)
    territories = CountryField(_("territories"), multiple=True, blank=True)
    products = models.ManyToManyField(
        Product, blank=True, related_name="offers", verbose_name=_("eligible products")
    )
    licence_types = models.ManyToManyField(
        LicenceType, blank=True, related_name="offers", verbose_name=_("licence types")
    )
    segments = models.ManyToManyField(
        CustomerSegment,
        blank=True,
        related_name="offers",
        verbose_name=_("customer segments"),
    )
    min_seats_per_agreement = models.PositiveIntegerField(
        _("minimum seats per agreement"), default=0
    )
    min_net_new_customers = models.PositiveIntegerField(
        _("minimum net new customers"), default=0
    )
    excluded_program = models.CharField(
        _("excluded program"),
        max_length=40,
        blank=True,
        help_text=_("Members of this program during its period are not eligible."),
    )
    excluded_from = models.DateField(_("excluded program from"), null=True, blank=True)
    excluded_until = models.DateField(
        _("excluded program until"), null=True, blank=True
    )
    claim_mode = models.CharField(
        _("claim mode"), max_length=20, choices=ClaimMode.choices
    )
    reward_basis = models.CharField(
        _("reward rule"), max_length=30, choices=RewardBasis.choices
    )
    reward_value = models.DecimalField(
        _("reward value"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Percent for a percentage rule, otherwise an amount."),
    )
    reward_cap = models.DecimalField(
        _("cap per reseller"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    reward_currency = models.CharField(_("reward currency"), max_length=3)
    payout_currencies = models.JSONField(
        _("payout currencies"),
        default=list,
        blank=True,
        help_text=_("ISO 4217 codes the reseller may choose from."),
    )
    return_period_days = models.PositiveIntegerField(
        _("return period (days)"), default=30
    )
    # The program manager's choice (statements/, R25): the document that amends
    # the reseller's purchases when a payout is paid.
    vat_document_kind = models.CharField(
        _("VAT document"),
        max_length=24,
        choices=VatDocumentKind.choices,
        default=VatDocumentKind.CREDIT_NOTE,
        help_text=_(
            "Credit note: the vendor sold to the reseller directly. Self-billed "
            "invoice: only for companies that accepted self-billing (others get a "
            "credit note). Settlement note: the reseller bought through a "
            "distributor (indirect rebate, no VAT)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        permissions = [("publish_offer", "Can publish and archive offers")]
        ordering = ["claim_closes_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sale_ends_on__gte=F("sale_starts_on")),
                name="offer_sale_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(claim_closes_on__gte=F("claim_opens_on")),
                name="offer_claim_window_in_order",
            ),
            models.CheckConstraint(
                condition=Q(reward_value__gte=0), name="offer_reward_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "claim_closes_on"], name="offer_listing_idx")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("offers:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        """Dates in order and real currency codes, before the database refuses."""
        errors = offer_date_errors(self)
        for field, messages in offer_currency_errors(self).items():
            errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    @property
    def title(self) -> str:
        return getattr(self, self.title_field())

    @staticmethod
    def title_field() -> str:
        """The title's column in the active language (for rows read as values)."""
        return "title_sv" if translation.get_language() == "sv" else "title_en"

    @property
    def description(self) -> str:
        if translation.get_language() == "sv":
            return self.description_sv
        return self.description_en

    def has_claims(self) -> bool:
        """Whether any claim has been filed on the offer (withdrawn and rejected
        ones too: each was judged on the offer as it stood)."""
        return self.pk is not None and self.claims.exists()

    def current_terms(self) -> "Terms | None":
        """The terms version a claim accepts now: the newest published one (R8)."""
        return (
            self.terms.filter(published_at__lte=timezone.now())
            .order_by("-version")
            .first()
        )

    def return_period_days_for(self, country) -> int:
        """The return period in a country: its own where set, else the offer's
        default (R14). One query."""
        days = (
            self.return_periods.filter(country=str(country))
            .values_list("days", flat=True)
            .first()
        )
        return self.return_period_days if days is None else days

    def payout_currencies_offered(self) -> list[str]:
        """The currencies a reseller may be paid in (R12): the offer's list, or
        the reward currency when the list is empty."""
        return list(self.payout_currencies or []) or [self.reward_currency]


class ReturnPeriod(models.Model):
    """A country's return period where it differs from the offer's default."""

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, related_name="return_periods"
    )
    country = CountryField(_("country"))
    days = models.PositiveIntegerField(_("days"))

    class Meta:
        verbose_name = _("return period")
        verbose_name_plural = _("return periods")
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "country"], name="return_period_unique_country"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country.code}: {self.days}"


class Terms(models.Model):
    """One immutable version of an offer's terms; a new text is a new version."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="terms")
    version = models.PositiveIntegerField(_("version"))
    text_en = models.TextField(_("text (English)"))
    text_sv = models.TextField(_("text (Swedish)"))
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["offer", "-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "version"], name="terms_unique_version"
            )
        ]

    def __str__(self) -> str:
        return _("Terms version %(version)s") % {"version": self.version}

    def save(self, *args, **kwargs) -> None:
        # Claims record the version they accepted (R8): a text must never change
        # under them. A new text is a new row (offers.services.terms_publish).
        if not self._state.adding:
            raise ValueError("Terms versions are immutable; publish a new version.")
        super().save(*args, **kwargs)

    @property
    def text(self) -> str:
        return self.text_sv if translation.get_language() == "sv" else self.text_en


class OfferEvent(StateChangeEvent):
    """A step of an offer's life: a terms version published, the offer published
    or archived, who did it and when (offers.services)."""

    class Kind(models.TextChoices):
        TERMS_PUBLISHED = "terms_published", _("terms version published")
        PUBLISHED = "published", _("offer published")
        ARCHIVED = "archived", _("offer archived")

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    terms_version = models.PositiveIntegerField(_("version"), null=True, blank=True)

    class Meta(StateChangeEvent.Meta):
        verbose_name = _("offer event")
        verbose_name_plural = _("offer events")

    def __str__(self) -> str:
        return f"{self.offer_id}: {self.kind}"
