"""Payment batches in admin: built from payouts by one operator, released by
another, downloaded; a draft batch can be cancelled with a reason."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cashback.admin import ReadOnlyAdmin, admin_action_with_form, money_column
from cashback.models import SecurityEvent
from cashback.money import money
from cashback.security_log import security_event_record

from .. import services
from ..models import PaymentBatch, Payout
from .payouts import BatchChangeForm


class ConfirmForm(forms.Form):
    """Nothing to type: the page itself is the question."""


@dataclass(frozen=True)
class Total:
    currency: str
    count: int
    amount: Decimal


def batch_payouts(batches: QuerySet) -> list[Payout]:
    """What the batches pay, claim by claim, in one query."""
    return list(
        Payout.objects.filter(batch__in=batches)
        .select_related("claim", "reseller", "bank_account", "batch")
        .order_by("batch_id", "claim__reference")
    )


def batch_totals(payouts: list[Payout]) -> list[Total]:
    """How many payouts and how much, per currency."""
    totals: dict[str, list] = {}
    for payout in payouts:
        entry = totals.setdefault(payout.payout_currency, [0, Decimal(0)])
        entry[0] += 1
        entry[1] += payout.payout_amount
    return [Total(c, n, amount) for c, (n, amount) in sorted(totals.items())]


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdmin):
    """Batches: created from payouts, released by another operator, downloaded."""

    list_display = [
        "message_id",
        "currency",
        "status",
        "total_amount_money",
        "created_by",
        "created_at",
        "released_by",
        "released_at",
    ]
    list_filter = ["status", "currency"]
    list_select_related = ["created_by", "released_by"]
    readonly_fields = [
        "message_id",
        "currency",
        "status",
        "total_amount_money",
        "created_by",
        "created_at",
        "released_by",
        "released_at",
        "cancelled_by",
        "cancelled_at",
        "cancel_reason_code",
        "cancel_reason",
        "payouts_list",
    ]
    exclude = ["payment_file", "total_amount"]
    total_amount_money = money_column(PaymentBatch.total_amount, PaymentBatch.currency)
    change_form_template = "admin/payouts/paymentbatch/change_form.html"
    actions = ["release", "cancel_batch", "download_file"]

    def has_change_permission(self, request, obj=None) -> bool:
        return (
            request.user.has_perm("payouts.change_paymentbatch")
            if obj is None
            else False
        )

    # Release: on its own page, with the payouts it pays ----------------------

    @admin.action(
        description=_("Release the selected batches (four eyes)…"),
        permissions=["change"],
    )
    def release(self, request: HttpRequest, queryset: QuerySet):
        """A page that lists what the selected batches pay, then releases them.
        A batch this operator built is not offered: another operator releases it."""
        own = [batch for batch in queryset if batch.created_by_id == request.user.pk]
        for batch in own:
            self.message_user(
                request,
                _("You built batch %(batch)s; another operator checks and releases it.")
                % {"batch": batch.message_id},
                messages.ERROR,
            )
        others = queryset.exclude(created_by=request.user)
        if not others.exists():
            return None
        payouts = batch_payouts(others)
        return admin_action_with_form(
            self,
            request,
            others,
            form_class=ConfirmForm,
            title=_("Release payment batches"),
            intro=_(
                "Releasing writes the payment file for the bank: these payouts "
                "leave and can no longer be changed or cancelled."
            ),
            run=lambda form, batch: self._release_one(request, batch),
            done=None,
            name=lambda batch: batch.message_id,
            submit=_("Release"),
            template="admin/payouts/paymentbatch/release.html",
            context={"payouts": payouts, "totals": batch_totals(payouts)},
        )

    def _release_one(self, request: HttpRequest, batch: PaymentBatch) -> None:
        released = services.batch_release(batch=batch, operator=request.user)
        for payout, reason in released.skipped:
            # A held payout is left out, not the whole batch (issue 27).
            self.message_user(
                request,
                _("Batch %(batch)s: %(claim)s left out, %(reason)s.")
                % {
                    "batch": released.message_id,
                    "claim": payout.claim.reference,
                    "reason": reason,
                },
                messages.WARNING,
            )
        count = released.payouts.count()
        self.message_user(
            request,
            ngettext(
                "Released batch %(batch)s: %(count)d payout, %(total)s.",
                "Released batch %(batch)s: %(count)d payouts, %(total)s.",
                count,
            )
            % {
                "batch": released.message_id,
                "count": count,
                "total": money(released.total_amount, released.currency),
            },
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "<int:batch_id>/release/",
                self.admin_site.admin_view(self.release_one_view),
                name="payouts_paymentbatch_release",
            ),
            *super().get_urls(),
        ]

    def release_one_view(self, request: HttpRequest, batch_id: int):
        """The batch page's Release button: the same page for one batch."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(PaymentBatch, pk=batch_id)
        response = self.release(request, PaymentBatch.objects.filter(pk=batch.pk))
        return response or HttpResponseRedirect(
            reverse("admin:payouts_paymentbatch_change", args=[batch.pk])
        )

    # The batch page: its payouts and totals -----------------------------------

    @admin.display(description=_("payouts in this batch"))
    def payouts_list(self, batch: PaymentBatch):
        payouts = batch_payouts(PaymentBatch.objects.filter(pk=batch.pk))
        return render_to_string(
            "admin/payouts/paymentbatch/payouts.html",
            {"payouts": payouts, "totals": batch_totals(payouts)},
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_release"] = (
            obj is not None
            and obj.status == PaymentBatch.Status.DRAFT
            and obj.created_by_id != request.user.pk
            and self.has_change_permission(request)
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def has_change_draft_batch_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.change_draft_batch")

    @admin.action(
        description=_("Cancel the selected draft batches"),
        permissions=["change_draft_batch"],
    )
    def cancel_batch(self, request: HttpRequest, queryset: QuerySet):
        return admin_action_with_form(
            self,
            request,
            queryset,
            form_class=BatchChangeForm,
            title=_("Cancel draft batches"),
            intro=_(
                "Their payouts go back to scheduled, free for another batch. "
                "A released batch cannot be cancelled."
            ),
            run=lambda form, batch: services.batch_cancel(
                batch=batch,
                operator=request.user,
                reason_code=form.code,
                reason=form.words,
            ),
            done=lambda count, names: (
                ngettext(
                    "Cancelled %(count)d draft batch: %(names)s.",
                    "Cancelled %(count)d draft batches: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )

    @admin.action(description=_("Download the pain.001 file"), permissions=["change"])
    def download_file(self, request: HttpRequest, queryset: QuerySet):
        batches = list(queryset[:2])
        if len(batches) != 1 or not batches[0].payment_file:
            self.message_user(
                request,
                _("Select one released batch to download its file."),
                messages.ERROR,
            )
            return None
        batch = batches[0]
        security_event_record(
            kind=SecurityEvent.Kind.PAYMENT_FILE_DOWNLOADED,
            request=request,
            batch=batch.message_id,
        )
        response = HttpResponse(
            batch.payment_file_xml(), content_type="application/xml"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{batch.message_id}.xml"'
        )
        return response
