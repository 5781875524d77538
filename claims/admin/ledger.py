"""The Open agreement ledger, its imports, invoice copies and duplicate attempts
in admin: written by the import and the services, read here."""

from django import forms
from django.contrib import admin
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cashback.admin import money_column
from cashback.tasks_util import enqueue_after_commit

from ..ledger_import import progress_key
from ..models import AgreementImport, DuplicateAttempt, InvoiceDocument, OpenAgreement
from ..tasks import agreement_import_task


@admin.register(OpenAgreement)
class OpenAgreementAdmin(admin.ModelAdmin):
    list_display = [
        "agreement_number",
        "reseller_name",
        "reseller_org_number",
        "product",
        "seats",
        "revenue_money",
        "sale_date",
        "new_customer",
    ]
    search_fields = ["=agreement_number", "=reseller_org_number", "reseller_name"]
    list_select_related = ["product"]
    show_full_result_count = False
    ordering = ["-sale_date", "pk"]
    exclude = ["revenue"]
    readonly_fields = ["revenue_money"]
    revenue_money = money_column(OpenAgreement.revenue, OpenAgreement.currency)

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
        return render_to_string("admin/link.html", {"url": url, "text": _("Download")})

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
        return render_to_string(
            "admin/claims/rejected_rows.html", {"errors": upload.errors[:200]}
        )

    def save_model(self, request, obj, form, change):
        obj.original_name = form.cleaned_data["file"].name[-255:]
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        enqueue_after_commit(agreement_import_task, obj.pk)
        self.message_user(
            request, _("The import is queued; this page shows its progress.")
        )
