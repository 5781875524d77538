"""The reviewers' queue and the ledger in Django admin.

Everything is read-only: states and amounts change only through the services,
called by the actions below (on a selection in the list, or on one claim from
its page). A transition that is not allowed is reported per claim and leaves
that claim untouched.
"""

import datetime as dt
import json

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from cashback.exports import ExportMixin
from cashback.tasks_util import enqueue_after_commit

from . import corrections, services
from .ledger_import import progress_key
from .models import (
    AgreementImport,
    Claim,
    ClaimEvent,
    CorrectionReason,
    DuplicateAttempt,
    InvoiceDocument,
    OpenAgreement,
    RejectionReason,
    RewardAdjustment,
)
from .queue import AGE_BUCKETS, waiting_age_q
from .tasks import agreement_import_task


class CountryFilter(admin.SimpleListFilter):
    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        # The resellers' countries, not a DISTINCT over millions of claims.
        from resellers.models import Reseller

        codes = Reseller.objects.values_list("country", flat=True).distinct()
        return sorted((code, countries.name(code)) for code in codes if code)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(reseller__country=self.value())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("week", _("Under 7 days")),
            ("month", _("7 to 30 days")),
            ("older", _("Over 30 days")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        week, month = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
        if self.value() == "week":
            return queryset.filter(created_at__gte=week)
        if self.value() == "month":
            return queryset.filter(created_at__lt=week, created_at__gte=month)
        if self.value() == "older":
            return queryset.filter(created_at__lt=month)
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    """Claims waiting for a reviewer by age, as the admin dashboard counts them."""

    title = _("waiting for review")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [(key, label) for key, label, _start, _end in AGE_BUCKETS]

    def queryset(self, request, queryset):
        if self.value() in {key for key, *_rest in AGE_BUCKETS}:
            return queryset.filter(waiting_age_q(self.value(), timezone.now()))
        return queryset


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=RejectionReason.choices)
    details = forms.CharField(
        label=_("Explanation for the reseller"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not data.get("details", "").strip():
            raise forms.ValidationError(_("Explain the reason for “Other”."))
        return data


class ReverseApprovalForm(forms.Form):
    to = forms.ChoiceField(
        label=_("The claim goes"),
        choices=[
            (Claim.Status.IN_REVIEW, _("back to review")),
            (Claim.Status.REJECTED, _("to rejected (the company may dispute)")),
        ],
        widget=forms.RadioSelect,
        initial=Claim.Status.IN_REVIEW,
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (_("Back to review"), CorrectionReason.choices),
            (_("Rejected"), [c for c in RejectionReason.choices if c[0] != "other"]),
        ],
    )
    details = forms.CharField(
        label=_("Explanation for the reseller"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )


class AdjustRewardForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Corrected reward"), min_value=0, max_digits=14, decimal_places=2
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=CorrectionReason.choices)
    details = forms.CharField(
        label=_("Explanation for the reseller"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )


class RequestInvoiceForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the reseller"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=_("Please upload a copy of the customer invoice for this sale."),
    )


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EstimatedCountPaginator(Paginator):
    """Counts exactly up to `EXACT_BELOW` rows, above that takes PostgreSQL's
    estimate (bench, issue 9): counting 1,000,000 claims on every page of the
    queue cost more than the page. The admin then shows an approximate total
    and page count for very long lists only; SQLite always counts."""

    EXACT_BELOW = 50_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            plan = json.loads(queryset.order_by().explain(format="json"))
            estimate = int(plan[0]["Plan"]["Plan Rows"])
            if estimate >= self.EXACT_BELOW:
                return estimate
        return super().count


@admin.register(Claim)
class ClaimAdmin(ExportMixin, admin.ModelAdmin):
    """The reviewers' queue: oldest first, validation outcome and age at a glance."""

    export_fields = [
        (_("reference"), "reference"),
        (_("reseller"), "reseller__legal_name"),
        (_("organisation number"), "reseller__org_number"),
        (_("country"), "reseller__country"),
        (_("offer"), "offer__slug"),
        (_("status"), "status"),
        (_("validation"), "validation_outcome"),
        (_("reward"), "reward_amount"),
        (_("reward currency"), "reward_currency"),
        (_("filed at"), "created_at"),
        (_("decided at"), "decided_at"),
        (_("reviewer"), "reviewer__email"),
    ]

    list_display = [
        "reference",
        "reseller",
        "offer",
        "status",
        "validation_outcome",
        "validated_at",
        "reward",
        "age",
    ]
    list_filter = [
        "status",
        "validation_outcome",
        "offer",
        CountryFilter,
        AgeFilter,
        WaitingFilter,
    ]
    search_fields = [
        "=reference",
        "=agreements__agreement_number",
        "reseller__legal_name",
        "=reseller__org_number",
    ]
    ordering = ["created_at", "pk"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_select_related = ["reseller", "offer"]
    list_per_page = 50
    actions = [
        "approve",
        "reject",
        "request_invoice",
        "revalidate",
        "reverse_approval",
        "adjust_reward",
        "confirm_adjustment",
    ]
    inlines = [ClaimEventInline]
    change_form_template = "admin/claims/claim/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "reseller_summary",
                    "offer",
                    "status",
                    "submitted_by",
                    "created_at",
                    "terms",
                    "terms_accepted_at",
                    "terms_accepted_ip",
                ]
            },
        ),
        (
            _("Decision"),
            {
                "fields": [
                    "reviewer",
                    "decided_at",
                    "decision_reason_code",
                    "decision_reason",
                    "disputed_at",
                ]
            },
        ),
        (
            _("Validation"),
            {
                "fields": [
                    "validation_outcome",
                    "validated_at",
                    "reward",
                    "pending_adjustment",
                    "reward_explanation",
                    "agreements_with_ledger",
                    "claim_checks",
                ]
            },
        ),
        (
            _("Files and history"),
            {"fields": ["invoice_files", "duplicate_attempts", "other_claims"]},
        ),
    ]
    readonly_fields = [
        "reference",
        "reseller_summary",
        "offer",
        "status",
        "submitted_by",
        "created_at",
        "terms",
        "terms_accepted_at",
        "terms_accepted_ip",
        "reviewer",
        "decided_at",
        "decision_reason_code",
        "decision_reason",
        "disputed_at",
        "validation_outcome",
        "validated_at",
        "reward",
        "pending_adjustment",
        "reward_explanation",
        "agreements_with_ledger",
        "claim_checks",
        "invoice_files",
        "duplicate_attempts",
        "other_claims",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # nothing is edited by hand

    def has_review_permission(self, request) -> bool:
        return services.user_may_review(request.user)

    # Columns and fields ------------------------------------------------------

    @admin.display(description=_("reward"))
    def reward(self, claim: Claim) -> str:
        if claim.reward_amount is None:
            return "–"
        if claim.adjusted_reward_amount is not None:
            return _("%(adjusted)s %(currency)s (computed %(computed)s)") % {
                "adjusted": claim.adjusted_reward_amount,
                "computed": claim.reward_amount,
                "currency": claim.reward_currency,
            }
        return f"{claim.reward_amount} {claim.reward_currency}"

    @admin.display(description=_("reward adjustment waiting for a second reviewer"))
    def pending_adjustment(self, claim: Claim) -> str:
        pending = claim.reward_adjustments.filter(
            status=RewardAdjustment.Status.PENDING
        ).first()
        if pending is None:
            return "–"
        return _("%(amount)s %(currency)s, proposed by %(by)s: %(reason)s") % {
            "amount": pending.amount,
            "currency": pending.currency,
            "by": pending.requested_by,
            "reason": pending.get_reason_code_display(),
        }

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, claim: Claim) -> str:
        days = (timezone.now() - claim.created_at).days
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    @admin.display(description=_("reseller"))
    def reseller_summary(self, claim: Claim):
        reseller = claim.reseller
        return format_html(
            "{} · {} {} · {}",
            reseller.legal_name,
            reseller.country.code,
            reseller.org_number,
            reseller.get_status_display(),
        )

    @admin.display(description=_("how the reward was counted"))
    def reward_explanation(self, claim: Claim) -> str:
        return claim.validation_report.get("reward_explanation", "")

    @admin.display(description=_("agreements and the ledger"))
    def agreements_with_ledger(self, claim: Claim):
        numbers = list(
            claim.agreements.order_by("pk").values_list("agreement_number", flat=True)
        )
        ledger = {
            row.agreement_number: row
            for row in OpenAgreement.objects.filter(
                agreement_number__in=numbers
            ).select_related("product", "licence_type", "customer_segment")
        }
        checks: dict[str, list[dict]] = {}
        for check in claim.validation_report.get("checks", []):
            if check.get("agreement"):
                checks.setdefault(check["agreement"], []).append(check)
        rows = []
        for number in numbers:
            row = ledger.get(number)
            sold = (
                f"{row.reseller_name} ({row.reseller_org_number or '–'}), "
                f"{row.sale_date}, {row.product} / {row.licence_type} / "
                f"{row.customer_segment}, {row.seats} seats, {row.revenue} "
                f"{row.currency}, customer {row.customer_id}"
                f"{' (new)' if row.new_customer else ''}"
                if row
                else str(_("not in the ledger"))
            )
            verdicts = "; ".join(
                f"{c['label']}: {c['result']} ({c['reason']})"
                for c in checks.get(number, [])
                if c["result"] != "pass"
            )
            rows.append((number, sold, verdicts or _("all checks pass")))
        return format_html(
            '<table class="claim-ledger"><thead><tr><th>{}</th><th>{}</th><th>{}'
            "</th></tr></thead><tbody>{}</tbody></table>",
            _("Claimed"),
            _("Ledger"),
            _("Checks"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("claim checks"))
    def claim_checks(self, claim: Claim):
        checks = [
            (c["label"], c["result"], c["reason"])
            for c in claim.validation_report.get("checks", [])
            if not c.get("agreement")
        ]
        if not checks:
            return _("Not validated yet.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}: <b>{}</b> – {}</li>", checks),
        )

    @admin.display(description=_("invoice copies"))
    def invoice_files(self, claim: Claim):
        documents = [
            (
                reverse("claims:invoice", args=[claim.reference, doc.pk]),
                doc.original_name,
                doc.uploaded_at.date(),
            )
            for doc in claim.invoices.all()
        ]
        if not documents:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", '<li><a href="{}">{}</a> ({})</li>', documents),
        )

    @admin.display(description=_("attempts by other companies"))
    def duplicate_attempts(self, claim: Claim):
        attempts = [
            (a.agreement_number, str(a.reseller), a.attempted_at.date())
            for a in claim.duplicate_attempts.select_related("reseller")[:20]
        ]
        if not attempts:
            return "–"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}: {} ({})</li>", attempts)
        )

    @admin.display(description=_("the company's other claims"))
    def other_claims(self, claim: Claim):
        others = [
            (
                reverse("admin:claims_claim_change", args=[other.pk]),
                other.reference,
                str(other.offer),
                other.get_status_display(),
            )
            for other in Claim.objects.filter(reseller=claim.reseller_id)
            .exclude(pk=claim.pk)
            .select_related("offer")
            .order_by("-created_at")[:20]
        ]
        if not others:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", '<li><a href="{}">{}</a> {} – {}</li>', others),
        )

    # Actions -----------------------------------------------------------------

    def _apply(self, request, claims, action, done_message) -> None:
        done = 0
        for claim in claims:
            try:
                action(claim)
            except services.ClaimError as error:
                self.message_user(
                    request,
                    f"{claim}: {' '.join(error.messages)}",
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Approve"), permissions=["review"])
    def approve(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda claim: services.claim_approve(claim=claim, actor=request.user),
            _("%(count)s claim(s) approved."),
        )

    @admin.action(description=_("Re-run validation"), permissions=["review"])
    def revalidate(self, request, queryset):
        for claim in queryset:
            services.claim_validate(claim_id=claim.pk, actor=request.user)
        self.message_user(
            request,
            _("Validation run on %(count)s claim(s).") % {"count": len(queryset)},
        )

    @admin.action(description=_("Reject with a reason…"), permissions=["review"])
    def reject(self, request, queryset):
        return self._form_step(
            request,
            queryset,
            RejectForm,
            _("Reject claims"),
            lambda form, claim: services.claim_reject(
                claim=claim,
                actor=request.user,
                reason_code=form.cleaned_data["reason"],
                reason=form.cleaned_data["details"],
            ),
            _("%(count)s claim(s) rejected."),
        )

    @admin.action(description=_("Request an invoice copy…"), permissions=["review"])
    def request_invoice(self, request, queryset):
        return self._form_step(
            request,
            queryset,
            RequestInvoiceForm,
            _("Ask for an invoice copy"),
            lambda form, claim: services.claim_request_invoice(
                claim=claim, actor=request.user, message=form.cleaned_data["message"]
            ),
            _("Invoice copy requested on %(count)s claim(s)."),
        )

    @admin.action(description=_("Reverse the approval…"), permissions=["review"])
    def reverse_approval(self, request, queryset):
        return self._form_step(
            request,
            queryset,
            ReverseApprovalForm,
            _("Reverse approvals"),
            lambda form, claim: corrections.claim_approval_reverse(
                claim=claim,
                actor=request.user,
                to=form.cleaned_data["to"],
                reason_code=form.cleaned_data["reason"],
                reason=form.cleaned_data["details"],
            ),
            _("%(count)s approval(s) reversed."),
        )

    @admin.action(description=_("Adjust the reward…"), permissions=["review"])
    def adjust_reward(self, request, queryset):
        return self._form_step(
            request,
            queryset,
            AdjustRewardForm,
            _("Adjust rewards"),
            lambda form, claim: corrections.claim_reward_adjust(
                claim=claim,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                reason_code=form.cleaned_data["reason"],
                reason=form.cleaned_data["details"],
            ),
            _("%(count)s reward(s) adjusted or sent for a second reviewer."),
        )

    @admin.action(
        description=_("Confirm the proposed reward (second reviewer)"),
        permissions=["review"],
    )
    def confirm_adjustment(self, request, queryset):
        pending = RewardAdjustment.objects.filter(
            claim__in=queryset, status=RewardAdjustment.Status.PENDING
        ).select_related("claim")
        self._apply(
            request,
            pending,
            lambda adjustment: corrections.claim_reward_adjustment_confirm(
                adjustment=adjustment, actor=request.user
            ),
            _("%(count)s adjusted reward(s) confirmed."),
        )

    def _form_step(self, request, queryset, form_class, title, apply, done_message):
        """The intermediate page of an action that needs words from the reviewer."""
        form = form_class(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._apply(
                request, queryset, lambda claim: apply(form, claim), done_message
            )
            return None
        return TemplateResponse(
            request,
            "admin/claims/claim/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "claims": queryset,
                "action": request.POST.get("action"),
                "opts": self.model._meta,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )

    # One claim from its page: the same actions on a one-claim selection.

    def get_urls(self):
        return [
            path(
                "<int:claim_id>/act/",
                self.admin_site.admin_view(self.act_on_one),
                name="claims_claim_act",
            ),
            *super().get_urls(),
        ]

    def act_on_one(self, request: HttpRequest, claim_id: int):
        if request.method != "POST" or not self.has_review_permission(request):
            return HttpResponseRedirect(
                reverse("admin:claims_claim_change", args=[claim_id])
            )
        queryset = Claim.objects.filter(pk=claim_id)
        action = request.POST.get("action")
        handler = {
            "approve": self.approve,
            "reject": self.reject,
            "request_invoice": self.request_invoice,
            "revalidate": self.revalidate,
            "reverse_approval": self.reverse_approval,
            "adjust_reward": self.adjust_reward,
            "confirm_adjustment": self.confirm_adjustment,
        }.get(action)
        response = handler(request, queryset) if handler else None
        return response or HttpResponseRedirect(
            reverse("admin:claims_claim_change", args=[claim_id])
        )

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_review"] = self.has_review_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(OpenAgreement)
class OpenAgreementAdmin(admin.ModelAdmin):
    list_display = [
        "agreement_number",
        "reseller_name",
        "reseller_org_number",
        "product",
        "seats",
        "revenue",
        "currency",
        "sale_date",
        "new_customer",
    ]
    search_fields = ["=agreement_number", "=reseller_org_number", "reseller_name"]
    list_select_related = ["product"]
    show_full_result_count = False
    ordering = ["-sale_date", "pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DuplicateAttempt)
class DuplicateAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "agreement_number",
        "offer",
        "reseller",
        "existing_claim",
        "attempted_at",
    ]
    list_select_related = ["offer", "reseller", "existing_claim"]
    search_fields = ["=agreement_number", "=existing_claim__reference"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InvoiceDocument)
class InvoiceDocumentAdmin(admin.ModelAdmin):
    list_display = ["claim", "original_name", "content_type", "size", "uploaded_at"]
    list_select_related = ["claim"]
    search_fields = ["=claim__reference"]
    readonly_fields = [
        "claim",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "download",
    ]
    fields = readonly_fields

    @admin.display(description=_("file"))
    def download(self, document: InvoiceDocument):
        url = reverse("claims:invoice", args=[document.claim.reference, document.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AgreementImportForm(forms.ModelForm):
    class Meta:
        model = AgreementImport
        fields = ["file"]


@admin.register(AgreementImport)
class AgreementImportAdmin(admin.ModelAdmin):
    """Upload a ledger CSV; a task imports it with the command's code."""

    form = AgreementImportForm
    list_display = ["original_name", "status", "progress", "message", "created_at"]
    readonly_fields = [
        "original_name",
        "status",
        "progress",
        "rows_read",
        "rows_written",
        "rows_rejected",
        "message",
        "rejected_rows",
        "created_by",
        "created_at",
        "finished_at",
    ]

    def get_fields(self, request, obj=None):
        return ["file"] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description=_("progress"))
    def progress(self, upload: AgreementImport) -> str:
        if upload.status == AgreementImport.Status.RUNNING:
            rows = cache.get(progress_key(upload.pk)) or 0
            return _("%(rows)s rows read so far") % {"rows": f"{rows:,}"}
        return upload.get_status_display()

    @admin.display(description=_("rejected rows"))
    def rejected_rows(self, upload: AgreementImport):
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>line {}: {}</li>", upload.errors[:200]),
        )

    def save_model(self, request, obj, form, change):
        obj.original_name = form.cleaned_data["file"].name[-255:]
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        enqueue_after_commit(agreement_import_task, obj.pk)
        self.message_user(
            request, _("The import is queued; this page shows its progress.")
        )
