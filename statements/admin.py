"""Finance's view of the documents (R25): the list with its filters, each
document's PDF and UBL, the period export for the books and the program's
liability. Documents are written by the services only: nothing here adds,
changes or deletes one."""

import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from cashback.admin import money_column
from cashback.clock import program_today
from cashback.exports import XLSX_TYPE, csv_stream, xlsx_stream

from . import selectors
from .models import NumberSeries, PaymentStatement, SelfBillingAgreement, VatDocument

EXPORT_PERMISSION = "statements.export_vat_documents"


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From (booking date)"))
    end = forms.DateField(label=_("To (booking date, included)"))
    file_format = forms.ChoiceField(
        label=_("File"),
        choices=[("", _("Show the totals")), ("csv", "CSV"), ("xlsx", "Excel")],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The period ends before it starts."))
        return data


class LiabilityForm(forms.Form):
    at = forms.DateField(label=_("At the end of"))


@admin.register(VatDocument)
class VatDocumentAdmin(_ReadOnly):
    """VAT documents by period, kind, company and currency."""

    list_display = [
        "number",
        "kind",
        "purpose",
        "issue_date",
        "reseller",
        "taxable_amount_money",
        "vat_amount_money",
        "total_amount_money",
    ]
    list_filter = [
        ("issue_date", admin.DateFieldListFilter),
        "kind",
        "purpose",
        "currency",
    ]
    search_fields = ["number", "reseller__legal_name", "statement__payment_id"]
    list_select_related = ["reseller"]
    date_hierarchy = "issue_date"
    show_full_result_count = False
    raw_id_fields = ["reseller", "payout", "batch", "statement", "corrects"]
    exclude = ["content", "pdf", "taxable_amount", "vat_amount", "total_amount"]
    readonly_fields = [
        "taxable_amount_money",
        "vat_amount_money",
        "total_amount_money",
        "downloads",
    ]
    taxable_amount_money = money_column(
        VatDocument.taxable_amount, VatDocument.currency
    )
    vat_amount_money = money_column(VatDocument.vat_amount, VatDocument.currency)
    total_amount_money = money_column(VatDocument.total_amount, VatDocument.currency)
    change_list_template = "admin/statements/vatdocument/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("period/", view(self.period_view), name="statements_period"),
            path("liability/", view(self.liability_view), name="statements_liability"),
            *super().get_urls(),
        ]

    @admin.display(description=_("Files"))
    def downloads(self, obj: VatDocument) -> str:
        from django.utils.html import format_html

        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">UBL</a>',
            reverse("statements:document_pdf", args=[obj.pk]),
            reverse("statements:document_ubl", args=[obj.pk]),
        )

    def period_view(self, request: HttpRequest) -> HttpResponse:
        """The period's documents for the books: totals per currency against
        the paid batches on screen, the rows as CSV or Excel."""
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        form = PeriodForm(request.GET or None)
        totals = None
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            file_format = form.cleaned_data["file_format"]
            if file_format:
                return _export(start, end, file_format)
            totals = selectors.period_totals(start=start, end=end)
        return TemplateResponse(
            request,
            "admin/statements/period.html",
            {
                **self.admin_site.each_context(request),
                "title": _("VAT documents of a period"),
                "form": form,
                "totals": totals,
                "opts": self.model._meta,
            },
        )

    def liability_view(self, request: HttpRequest) -> HttpResponse:
        """Approved but unpaid rewards per offer and currency at a date."""
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        form = LiabilityForm(request.GET or {"at": program_today().isoformat()})
        rows = (
            selectors.program_liability(at=form.cleaned_data["at"])
            if form.is_valid()
            else None
        )
        return TemplateResponse(
            request,
            "admin/statements/liability.html",
            {
                **self.admin_site.each_context(request),
                "title": _("The program's liability"),
                "form": form,
                "rows": rows,
                "opts": self.model._meta,
            },
        )


def _export(start: dt.date, end: dt.date, file_format: str) -> StreamingHttpResponse:
    """One row per document and VAT rate, then the totals per currency and
    the paid batches' sums they reconcile to."""

    def rows():
        yield from selectors.period_export_rows(start=start, end=end)
        for total in selectors.period_totals(start=start, end=end):
            yield (
                "TOTAL", "", "", "", "", "", "", " ".join(total.batches), "", "", "",
                "", total.currency, "", None, total.taxable, total.vat,
                total.issued_total + total.corrected_total,
            )  # fmt: skip
            yield (
                "PAID BATCHES", "", "", "", "", "", "", "", "", "", "", "",
                total.currency, "", None, None, None, total.batches_paid,
            )  # fmt: skip

    headers = selectors.EXPORT_HEADERS
    name = f"vat-documents-{start}-{end}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_stream(headers, rows()), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            xlsx_stream(headers, rows(), "VAT documents"), content_type=XLSX_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@admin.register(PaymentStatement)
class PaymentStatementAdmin(_ReadOnly):
    list_display = ["payment_id", "execution_date", "reseller", "amount_money"]
    list_filter = [("execution_date", admin.DateFieldListFilter), "currency"]
    search_fields = ["payment_id", "reseller__legal_name"]
    list_select_related = ["reseller"]
    show_full_result_count = False
    raw_id_fields = ["reseller", "payout", "batch"]
    exclude = ["content", "pdf", "amount"]
    readonly_fields = ["amount_money"]
    amount_money = money_column(PaymentStatement.amount, PaymentStatement.currency)


@admin.register(SelfBillingAgreement)
class SelfBillingAgreementAdmin(_ReadOnly):
    list_display = ["reseller", "accepted_by", "accepted_at", "withdrawn_at"]
    search_fields = ["reseller__legal_name"]
    list_select_related = ["reseller", "accepted_by"]
    raw_id_fields = ["reseller", "accepted_by", "withdrawn_by"]


@admin.register(NumberSeries)
class NumberSeriesAdmin(_ReadOnly):
    list_display = ["key", "prefix", "last_number"]
