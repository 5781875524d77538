"""Admin for program managers: products, licence types, segments and offers.

Terms are never edited here: existing versions are read-only and a new text is
added as a new version through offers.services.terms_publish. Status changes
go through the publish and archive actions, which call the services.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cashback.admin import admin_action_run

from . import services
from .models import CustomerSegment, LicenceType, Offer, Product, ReturnPeriod, Terms
from .validators import validate_currency


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "family", "deployment"]
    list_editable = ["name", "family", "deployment"]
    list_filter = ["deployment", "family"]
    search_fields = ["sku", "name", "family"]


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    list_editable = ["name"]
    search_fields = ["code", "name"]


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    list_editable = ["name"]
    search_fields = ["code", "name"]


class CurrencyListField(forms.CharField):
    """ISO 4217 codes typed as "SEK, EUR"; stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        codes = [part.strip().upper() for part in text.replace(";", ",").split(",")]
        return list(dict.fromkeys(code for code in codes if code))

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        errors = []
        for code in value:
            try:
                validate_currency(code)
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)


class OfferAdminForm(forms.ModelForm):
    """Currencies as codes; a published offer must stay publishable when edited."""

    payout_currencies = CurrencyListField(
        label=_("payout currencies"),
        required=False,
        help_text=_("ISO 4217 codes separated by commas, e.g. SEK, EUR."),
    )

    class Meta:
        model = Offer
        # The admin narrows these to its fieldsets; status changes by action only.
        fields = [
            field.name
            for field in Offer._meta.get_fields()
            if getattr(field, "editable", False)
            and field.concrete
            and not field.auto_created
            and field.name != "status"
        ]

    def clean_reward_currency(self) -> str:
        return (self.cleaned_data.get("reward_currency") or "").strip().upper()

    def _post_clean(self) -> None:
        # After the form has copied its data onto the instance: the checks read
        # the edited values, not the stored ones.
        super()._post_clean()
        if self.instance.pk and self.instance.status == Offer.Status.PUBLISHED:
            # Terms are never removed here, only added (see TermsInline).
            errors = services.offer_publish_errors(self.instance, has_terms=True)
            for field, field_messages in errors.items():
                if field in self.fields and field not in self.errors:
                    for message in field_messages:
                        self.add_error(field, message)


class ReturnPeriodInline(admin.TabularInline):
    model = ReturnPeriod
    extra = 0


class TermsInline(admin.StackedInline):
    """Existing versions read-only; a new version is added, never an edit."""

    model = Terms
    extra = 0
    fields = ["version", "published_at", "text_en", "text_sv"]
    readonly_fields = ["version", "published_at"]
    ordering = ["-version"]
    verbose_name = _("terms version")
    verbose_name_plural = _("terms versions (add a new one to change the terms)")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _error_text(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for field, field_errors in error.message_dict.items():
        try:
            # "terms" is the reverse relation, which has no verbose name.
            label = getattr(Offer._meta.get_field(field), "verbose_name", _("terms"))
        except FieldDoesNotExist:
            label = field
        parts.append(f"{label}: {' '.join(field_errors)}")
    return "; ".join(parts)


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    form = OfferAdminForm
    list_display = [
        "title_en",
        "slug",
        "status",
        "claim_opens_on",
        "claim_closes_on",
        "claims_count",
        "terms_version",
    ]
    list_filter = ["status", "claim_mode", "reward_basis"]
    search_fields = ["title_en", "title_sv", "slug"]
    date_hierarchy = "claim_closes_on"
    prepopulated_fields = {"slug": ["title_en"]}
    readonly_fields = ["status", "created_at", "updated_at"]
    filter_horizontal = ["products", "licence_types", "segments"]
    inlines = [ReturnPeriodInline, TermsInline]
    actions = ["publish", "archive"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("title_en", "title_sv"),
                    ("description_en", "description_sv"),
                    "slug",
                    "status",
                ]
            },
        ),
        (
            _("Dates"),
            {
                "fields": [
                    ("sale_starts_on", "sale_ends_on"),
                    ("claim_opens_on", "claim_closes_on"),
                    "calculation_date",
                ]
            },
        ),
        (
            _("Who and what qualifies"),
            {
                "fields": [
                    "territories",
                    "products",
                    "licence_types",
                    "segments",
                    ("min_seats_per_agreement", "min_net_new_customers"),
                    ("excluded_program", "excluded_from", "excluded_until"),
                    "claim_mode",
                ]
            },
        ),
        (
            _("Reward"),
            {
                "fields": [
                    ("reward_basis", "reward_value"),
                    "reward_cap",
                    ("reward_currency", "payout_currencies"),
                ]
            },
        ),
        (
            _("Payment"),
            {
                "fields": [
                    ("payment_term_days", "bank_details_term_days"),
                    ("reminder_interval_days", "max_reminders"),
                    "return_period_days",
                    "vat_document_kind",
                ]
            },
        ),
        (_("Record"), {"fields": [("created_at", "updated_at")]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Offer | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.has_claims():
            readonly += Offer.FIXED_ONCE_CLAIMED
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj: Offer | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.has_claims():
            return fieldsets
        note = {
            "description": _(
                "Fixed: claims have been filed on this offer. To change it, "
                "archive it and publish a corrected offer, or add a new terms "
                "version (claims already filed keep the version they accepted)."
            )
        }
        return [(fieldsets[0][0], {**fieldsets[0][1], **note}), *fieldsets[1:]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offer]:
        # Subqueries, not joins: counting claims and terms together through
        # joins would multiply the rows.
        claims = (
            Offer.claims.rel.related_model.objects.filter(offer=OuterRef("pk"))
            .order_by()
            .values("offer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        latest_terms = (
            Terms.objects.filter(offer=OuterRef("pk"))
            .order_by("-version")
            .values("version")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                claims_total=Coalesce(Subquery(claims, output_field=IntegerField()), 0),
                latest_terms_version=Subquery(latest_terms),
            )
        )

    @admin.display(description=_("claims"), ordering="claims_total")
    def claims_count(self, offer: Offer) -> int:
        return offer.claims_total

    @admin.display(description=_("terms version"), ordering="latest_terms_version")
    def terms_version(self, offer: Offer):
        return offer.latest_terms_version

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Terms:
            super().save_formset(request, form, formset, change)
            return
        # New versions are numbered under the offer's lock by the service;
        # existing ones are never saved (the inline shows them read-only).
        formset.new_objects = [
            services.terms_publish(
                offer=form.instance,
                text_en=terms_form.cleaned_data["text_en"],
                text_sv=terms_form.cleaned_data["text_sv"],
                actor=request.user,
            )
            for terms_form in formset.extra_forms
            if terms_form.has_changed()
        ]
        formset.changed_objects = []
        formset.deleted_objects = []

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("offers.publish_offer")

    @admin.action(description=_("Publish the selected offers"), permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        admin_action_run(
            self,
            request,
            queryset,
            run=lambda offer: services.offer_publish(offer=offer, actor=request.user),
            done=lambda count, names: (
                ngettext(
                    "“%(names)s” is published.", "“%(names)s” are published.", count
                )
                % {"names": names}
            ),
            name=lambda offer: offer.title_en,
            refused=lambda offer, error: (
                _("“%(offer)s” was not published. %(errors)s")
                % {"offer": offer.title_en, "errors": _error_text(error)}
            ),
        )

    @admin.action(description=_("Archive the selected offers"), permissions=["publish"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        admin_action_run(
            self,
            request,
            queryset,
            run=lambda offer: services.offer_archive(offer=offer, actor=request.user),
            done=lambda count, names: (
                ngettext(
                    "%(count)s offer archived.", "%(count)s offers archived.", count
                )
                % {"count": count}
            ),
            name=lambda offer: offer.title_en,
        )
