"""Payouts and their reminders in admin, read-only: their states change through
the services (the bank's answers arrive as bank files, payouts/bank/); operators
build batches, take payouts out of a draft batch and cancel payouts here."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cashback.admin import (
    ReadOnlyAdmin,
    admin_action_with_form,
    money_column,
    names_text,
)
from cashback.clock import program_today, week_start
from cashback.exports import ExportMixin
from cashback.money import money
from cashback.reasons import ReasonForm, reason_in_words
from cashback.timeline_admin import StateChangeEventInline
from claims.models import CorrectionReason

from .. import services
from ..models import BatchChangeReason, Payout, PayoutEvent, Reminder
from ..queue import (
    DEADLINE_PAST,
    DEADLINE_SOON,
    NO_ADMIN,
    SCHEDULED_STATUSES,
    deadline_q,
    no_admin_q,
)


class CurrencyFilter(admin.AllValuesFieldListFilter):
    """Each currency once, by its code; a payout whose currency is not chosen
    yet (no bank details) has none, and an empty link names nothing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookup_choices = [code for code in self.lookup_choices if code]


class CancelForm(ReasonForm):
    """Why a payout is cancelled: a correction reason, told to the reseller."""

    reason_choices = CorrectionReason.choices


class BatchChangeForm(ReasonForm):
    """Why a draft batch changes: a code from the list and the operator's words."""

    reason_choices = BatchChangeReason.choices
    words_label = _("In your words")


def claim_reference(payout: Payout) -> str:
    return payout.claim.reference


def reader_language(payout: Payout) -> str:
    """The language the payout's claim's filer reads."""
    return payout.claim.submitted_by.language


class DeadlineRiskFilter(admin.SimpleListFilter):
    """Open payouts close to or past their payment deadline (R16)."""

    title = _("deadline risk")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            (DEADLINE_SOON, _("Within 7 days of deadline")),
            (DEADLINE_PAST, _("Past deadline")),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        today = program_today()
        if self.value() in (DEADLINE_SOON, DEADLINE_PAST):
            return queryset.filter(deadline_q(self.value(), today))
        return queryset


class NoAdminFilter(admin.SimpleListFilter):
    """Payouts nobody at the company may give bank details for (issue 27)."""

    title = _("company admin")
    parameter_name = "admin"

    def lookups(self, request, model_admin):
        return [(NO_ADMIN, _("No one can give bank details"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == NO_ADMIN:
            return queryset.filter(no_admin_q())
        return queryset


class ScheduledFilter(admin.SimpleListFilter):
    """Money on its way: scheduled or already in a payment batch."""

    title = _("on its way")
    parameter_name = "scheduled"

    def lookups(self, request, model_admin):
        return [("yes", _("Scheduled or in a batch"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(status__in=SCHEDULED_STATUSES)
        return queryset


class ForfeitedThisWeekFilter(admin.SimpleListFilter):
    """Payouts forfeited since Monday, as the dashboard counts them."""

    title = _("forfeited")
    parameter_name = "forfeited"

    def lookups(self, request, model_admin):
        return [("week", _("This week"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "week":
            forfeited = PayoutEvent.objects.filter(
                kind=PayoutEvent.Kind.FORFEITED, created_at__gte=week_start()
            ).values("payout_id")
            return queryset.filter(pk__in=forfeited)
        return queryset


class SentThisWeekFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("week", _("This week"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "week":
            return queryset.filter(sent_at__gte=week_start())
        return queryset


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """Bank-details reminders as sent (one row per payout, cycle and number)."""

    list_display = ["payout", "cycle", "number", "sent_at"]
    list_filter = [SentThisWeekFilter]
    list_select_related = ["payout__claim"]
    search_fields = ["=payout__claim__reference"]
    ordering = ["-sent_at", "-pk"]
    show_full_result_count = False


class PayoutEventInline(StateChangeEventInline):
    model = PayoutEvent
    states = Payout.Status

    def event_words(self, event: PayoutEvent) -> str:
        return reason_in_words(
            event.reason_code, event.message, dict(CorrectionReason.choices)
        )


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    can_delete = False
    fields = ["cycle", "number", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payout)
class PayoutAdmin(ExportMixin, ReadOnlyAdmin):
    """Payouts are read-only: their states change through the services (the
    bank's answers arrive as bank files, payouts/bank/)."""

    export_fields = [
        (_("claim"), "claim__reference"),
        (_("reseller"), "reseller__legal_name"),
        (_("organisation number"), "reseller__org_number"),
        (_("offer"), "offer__slug"),
        (_("status"), "status"),
        (_("amount"), "amount"),
        (_("reward currency"), "currency"),
        (_("payout amount"), "payout_amount"),
        (_("payout currency"), "payout_currency"),
        (_("bank details due at"), "bank_details_due_at"),
        (_("reminders sent"), "reminders_sent"),
        (_("release date"), "release_date"),
        (_("payment deadline"), "payment_deadline"),
        (_("paid at"), "paid_at"),
        (_("payment reference"), "payment_reference"),
        (_("payment batch"), "batch__message_id"),
    ]

    list_display = [
        "claim",
        "reseller",
        "status",
        "amount_money",
        "payout_amount_money",
        "bank_details_due_at",
        "reminders_sent",
        "release_date",
        "payment_deadline",
        "batch",
    ]
    list_filter = [
        "status",
        ("currency", CurrencyFilter),
        ("payout_currency", CurrencyFilter),
        DeadlineRiskFilter,
        ScheduledFilter,
        ForfeitedThisWeekFilter,
        NoAdminFilter,
    ]
    list_select_related = ["claim", "reseller", "batch"]
    search_fields = ["claim__reference", "reseller__legal_name", "payment_reference"]
    amount_money = money_column(Payout.amount, Payout.currency)
    payout_amount_money = money_column(Payout.payout_amount, Payout.payout_currency)
    readonly_fields = [
        {"amount": "amount_money", "payout_amount": "payout_amount_money"}.get(
            f.name, f.name
        )
        for f in Payout._meta.fields
    ]
    exclude = ["amount", "payout_amount"]
    inlines = [PayoutEventInline, ReminderInline]
    show_full_result_count = False
    actions = ["create_batch", "remove_from_batch", "cancel"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Actions need the change permission; the form itself stays read-only.
        return request.user.has_perm("payouts.change_payout") if obj is None else False

    def has_add_batch_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.add_paymentbatch")

    def has_change_draft_batch_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.change_draft_batch")

    @admin.action(
        description=_("Take the selected payouts out of their draft batch"),
        permissions=["change_draft_batch"],
    )
    def remove_from_batch(self, request: HttpRequest, queryset: QuerySet):
        return admin_action_with_form(
            self,
            request,
            queryset.select_related("claim__submitted_by__reseller"),
            form_class=BatchChangeForm,
            title=_("Take payouts out of their draft batch"),
            intro=_(
                "These payouts stay scheduled and can go into a later batch. "
                "A released batch cannot be changed."
            ),
            run=lambda form, payout: services.batch_payout_remove(
                payout=payout,
                operator=request.user,
                reason_code=form.code,
                reason=form.words,
            ),
            done=lambda count, names: (
                ngettext(
                    "Took %(count)d payout out of its draft batch: %(names)s.",
                    "Took %(count)d payouts out of their draft batches: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
            name=claim_reference,
            reader_language=reader_language,
        )

    def has_cancel_payout_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.cancel_payout")

    @admin.action(
        description=_("Cancel the selected payouts (with a reason)…"),
        permissions=["cancel_payout"],
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet):
        return admin_action_with_form(
            self,
            request,
            queryset.select_related("claim__submitted_by__reseller"),
            form_class=CancelForm,
            title=_("Cancel payouts"),
            intro=_(
                "These payouts are cancelled and never paid; the reseller is told "
                "the reason. A payout whose batch is released is refused."
            ),
            run=lambda form, payout: services.payout_cancel(
                payout=payout,
                actor=request.user,
                reason_code=form.code,
                reason=form.words,
            ),
            done=lambda count, names: (
                ngettext(
                    "Cancelled %(count)d payout: %(names)s.",
                    "Cancelled %(count)d payouts: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
            name=claim_reference,
            reader_language=reader_language,
            submit=_("Cancel the payouts"),
        )

    @admin.action(
        description=_("Create a payment batch of the selected payouts"),
        permissions=["add_batch"],
    )
    def create_batch(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not request.user.has_perm("payouts.add_paymentbatch"):
            raise PermissionDenied
        currencies = set(queryset.values_list("payout_currency", flat=True))
        if len(currencies) != 1:
            self.message_user(
                request,
                _(
                    "Nothing was batched: the selection is paid in %(currencies)s. "
                    "Select scheduled payouts of one currency."
                )
                % {"currencies": ", ".join(sorted(currencies)) or "–"},
                messages.ERROR,
            )
            return
        try:
            batch = services.batch_create(
                currency=currencies.pop(),
                payouts=list(queryset.values_list("pk", flat=True)),
                operator=request.user,
            )
        except services.PayoutError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        references = list(
            batch.payouts.order_by("claim__reference").values_list(
                "claim__reference", flat=True
            )
        )
        self.message_user(
            request,
            ngettext(
                "Built batch %(batch)s: %(count)d payout, %(total)s (%(claims)s). "
                "Another operator checks and releases it.",
                "Built batch %(batch)s: %(count)d payouts, %(total)s (%(claims)s). "
                "Another operator checks and releases it.",
                len(references),
            )
            % {
                "batch": batch.message_id,
                "count": len(references),
                "total": money(batch.total_amount, batch.currency),
                "claims": names_text(references),
            },
            messages.SUCCESS,
        )
