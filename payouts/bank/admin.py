"""The bank files in admin: what was sent, what arrived and why a file was
refused, an upload form for a file received by other means and the action a
second operator confirms it with, the entries not applied, and the operators'
reconciliation of released batches.

The rows are written by the release, the inbound job, the upload and its
confirmation only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cashback.admin import (
    ReadOnlyAdmin,
    admin_action_run,
    admin_action_with_form,
    money_column,
)
from cashback.clock import program_today
from cashback.models import SecurityEvent
from cashback.security_log import security_event_record

from .models import (
    BankDiscrepancy,
    BatchReconciliation,
    InboundBankFile,
    OutboundBankFile,
    ReturnedPayout,
)
from .reconciliation import batches_reconciled

UPLOAD_PERMISSION = "payouts.record_bank_result"
CONFIRM_PERMISSION = "payouts.confirm_bank_file"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _log(kind: str, request: HttpRequest, result) -> None:
    """One security-log row per bank file uploaded or confirmed: who, from
    where, which file and what became of it."""
    security_event_record(
        kind=kind,
        request=request,
        file=result.name,
        file_id=result.file_id,
        message_id=result.message_id,
        message_type=result.message_type,
        status=result.status,
    )


class ReturnDecisionForm(forms.Form):
    """Why an operator decides on a returned payment (kept with its event)."""

    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 3}))


class BankFileUploadForm(forms.Form):
    file = forms.FileField(
        label=_("The bank's file"),
        help_text=_("pain.002, camt.054, camt.053 or pacs.004, as the bank sent it."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


@admin.register(InboundBankFile)
class InboundBankFileAdmin(ReadOnlyAdmin):
    """Each file found in the bank's inbound folder or uploaded: read, or
    refused and why."""

    list_display = [
        "received_at",
        "name",
        "message_type",
        "message_id",
        "original_message_id",
        "status",
        "reason",
        "uploaded_by",
        "confirmed_by",
    ]
    list_select_related = ["uploaded_by", "confirmed_by"]
    list_filter = ["status", "message_type"]
    search_fields = ["=message_id", "=original_message_id", "name"]
    ordering = ["-received_at", "-pk"]
    show_full_result_count = False
    fields = list_display
    readonly_fields = fields
    change_list_template = "admin/payouts/inboundbankfile/change_list.html"
    actions = ["confirm_files"]

    def has_confirm_bank_file_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CONFIRM_PERMISSION)

    @admin.action(
        description=_(
            "Confirm and apply the selected uploaded files (second operator)"
        ),
        permissions=["confirm_bank_file"],
    )
    def confirm_files(self, request: HttpRequest, queryset) -> None:
        """Four eyes on a file uploaded by hand: another operator applies it."""
        from payouts.services import bank_file_confirm

        def confirm(file: InboundBankFile) -> None:
            result = bank_file_confirm(file=file, operator=request.user)
            _log(SecurityEvent.Kind.BANK_FILE_CONFIRMED, request, result)
            self._report(request, result)  # read, kept or refused: its own words

        admin_action_run(
            self,
            request,
            queryset.order_by("received_at", "pk"),
            run=confirm,
            done=None,
            name=lambda file: file.name,
        )

    def _report(self, request: HttpRequest, result) -> None:
        if result.status == InboundBankFile.Status.READ:
            self.message_user(
                request,
                _("%(name)s read: %(type)s %(id)s applied.")
                % {
                    "name": result.name,
                    "type": result.message_type,
                    "id": result.message_id,
                },
                messages.SUCCESS,
            )
        elif result.status == InboundBankFile.Status.AWAITING:
            self.message_user(
                request,
                _(
                    "%(name)s kept: %(type)s %(id)s is applied when a second "
                    "operator confirms it."
                )
                % {
                    "name": result.name,
                    "type": result.message_type,
                    "id": result.message_id,
                },
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("%(name)s refused, nothing applied: %(code)s: %(reason)s")
                % {
                    "name": result.name,
                    "code": result.code,
                    "reason": result.reason,
                },
                messages.ERROR,
            )

    def get_urls(self):
        upload = self.admin_site.admin_view(self.upload_view)
        return [
            path("upload/", upload, name="payouts_inboundbankfile_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Keep a file received by other means for a second operator to confirm."""
        from payouts.services import bank_file_upload

        if not request.user.has_perm(UPLOAD_PERMISSION):
            raise PermissionDenied
        form = BankFileUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = bank_file_upload(
                name=upload.name, content=upload.read(), operator=request.user
            )
            _log(SecurityEvent.Kind.BANK_FILE_UPLOADED, request, result)
            self._report(request, result)
            return redirect(reverse("admin:payouts_inboundbankfile_changelist"))
        return TemplateResponse(
            request,
            "admin/payouts/inboundbankfile/upload.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Read a file from the bank"),
                "form": form,
                "opts": self.model._meta,
            },
        )


@admin.register(OutboundBankFile)
class OutboundBankFileAdmin(ReadOnlyAdmin):
    """Each batch's pain.001 as written to the bank's outbound folder."""

    list_display = ["written_at", "name", "batch"]
    list_select_related = ["batch"]
    search_fields = ["=batch__message_id", "name"]
    ordering = ["-written_at", "-pk"]
    show_full_result_count = False
    fields = list_display
    readonly_fields = fields


@admin.register(BankDiscrepancy)
class BankDiscrepancyAdmin(ReadOnlyAdmin):
    """What a bank file said that was not applied: for an operator to settle."""

    list_display = [
        "created_at",
        "end_to_end_id",
        "payout",
        "bank_amount_money",
        "bank_reference",
        "reason",
        "file",
    ]
    list_select_related = ["payout__claim", "file"]
    search_fields = ["=end_to_end_id", "=bank_reference"]
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    fields = list_display
    readonly_fields = fields
    bank_amount_money = money_column(
        BankDiscrepancy.bank_amount, BankDiscrepancy.bank_currency
    )


@admin.register(BatchReconciliation)
class BatchReconciliationAdmin(ReadOnlyAdmin):
    """Each released batch and the bank's answers: accepted, booked, rejected,
    returned, and not settled N business days after release."""

    list_display = [
        "batch",
        "currency",
        "status",
        "released_at",
        "payments",
        "unanswered",
        "accepted",
        "booked",
        "rejected",
        "returned",
        "overdue",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["=message_id"]
    show_full_result_count = False
    list_display_links = None

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("payouts.view_paymentbatch")

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm("payouts.view_paymentbatch")

    def get_queryset(self, request):
        return batches_reconciled(today=program_today())

    @admin.display(description=_("batch"), ordering="message_id")
    def batch(self, obj):
        """The row opens its batch: its payouts, who built and released it."""
        url = reverse("admin:payouts_paymentbatch_change", args=[obj.pk])
        return render_to_string("admin/link.html", {"url": url, "text": obj.message_id})

    @admin.display(description=_("payments"), ordering="payments")
    def payments(self, obj) -> int:
        return obj.payments

    @admin.display(description=_("no answer yet"), ordering="unanswered")
    def unanswered(self, obj) -> int:
        return obj.unanswered

    @admin.display(description=_("accepted"), ordering="accepted")
    def accepted(self, obj) -> int:
        return obj.accepted

    @admin.display(description=_("booked (paid)"), ordering="booked")
    def booked(self, obj) -> int:
        return obj.booked

    @admin.display(description=_("rejected"), ordering="rejected")
    def rejected(self, obj) -> int:
        return obj.rejected

    @admin.display(description=_("returned"), ordering="returned")
    def returned(self, obj) -> int:
        return obj.returned

    @admin.display(description=_("not settled in time"), ordering="overdue")
    def overdue(self, obj) -> int:
        return obj.overdue


@admin.register(ReturnedPayout)
class ReturnedPayoutAdmin(ReadOnlyAdmin):
    """Payments the bank returned to an account the company still has on file:
    the company is not asked for bank details again until an operator decides
    to refuse the account, or pays it again (issue 27)."""

    list_display = [
        "claim",
        "reseller",
        "payout_amount",
        "payout_currency",
        "failure_code",
        "failure_reason",
        "updated_at",
    ]
    list_select_related = ["claim", "reseller"]
    ordering = ["updated_at", "pk"]
    show_full_result_count = False
    fields = list_display
    readonly_fields = fields
    list_display_links = None
    actions = ["pay_again", "refuse_accounts"]

    def get_queryset(self, request):
        return super().get_queryset(request).returned_awaiting_decision()

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("payouts.view_payout")

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm("payouts.view_payout")

    def has_record_bank_result_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(UPLOAD_PERMISSION)

    def _decide(self, request, queryset, *, action, title, call):
        """Ask why (the kernel's one action-with-a-form page), then call the
        service for each selected payout and say what became of each."""
        return admin_action_with_form(
            self,
            request,
            queryset.select_related("claim", "reseller"),
            form_class=ReturnDecisionForm,
            title=title,
            run=lambda form, payout: call(payout, form.cleaned_data["reason"]),
            done=lambda count, names: (
                ngettext(
                    "Decided %(count)d returned payment: %(names)s.",
                    "Decided %(count)d returned payments: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
            name=lambda payout: payout.claim.reference,
            submit=_("Save"),
        )

    @admin.action(
        description=_("Pay the selected payments again to the same account (say why)"),
        permissions=["record_bank_result"],
    )
    def pay_again(self, request: HttpRequest, queryset):
        from payouts.services import payout_return_resend

        return self._decide(
            request,
            queryset,
            action="pay_again",
            title=_("Pay returned payments again"),
            call=lambda payout, reason: payout_return_resend(
                payout=payout, operator=request.user, reason=reason
            ),
        )

    @admin.action(
        description=_(
            "Refuse the selected payments' accounts and ask the companies (say why)"
        ),
        permissions=["record_bank_result"],
    )
    def refuse_accounts(self, request: HttpRequest, queryset):
        from payouts.services import payout_return_account_refuse

        return self._decide(
            request,
            queryset,
            action="refuse_accounts",
            title=_("Refuse the accounts of returned payments"),
            call=lambda payout, reason: payout_return_account_refuse(
                payout=payout, operator=request.user, reason=reason
            ),
        )
