"""Admin for operators: read-only payouts and accounts, rates, batches and their
actions. Every action calls a service; nothing here writes a status itself."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from cashback.clock import program_today, week_start
from cashback.exports import ExportMixin
from cashback.models import SecurityEvent
from cashback.security_log import security_event_record
from claims.models import CorrectionReason

from . import selectors, services
from .models import (
    BankAccount,
    BatchChangeReason,
    ExchangeRate,
    PaymentBatch,
    Payout,
    PayoutEvent,
    Reminder,
)
from .queue import (
    DEADLINE_PAST,
    DEADLINE_SOON,
    NO_ADMIN,
    SCHEDULED_STATUSES,
    deadline_q,
    no_admin_q,
)


class ReadOnlyAdminMixin:
    """Rows written only by services: viewable, never added, edited or deleted."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AccountReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


class NoticeUndeliveredFilter(admin.SimpleListFilter):
    """Accounts held until the notice of them reaches every admin, or until an
    operator decides on a shared number (issue 27)."""

    title = _("waiting for an operator")
    parameter_name = "notice"

    def lookups(self, request, model_admin):
        return [
            ("undelivered", _("Not delivered yet")),
            ("shared", _("Shared with another company, to decide")),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "undelivered":
            return queryset.notice_undelivered()
        if self.value() == "shared":
            return queryset.shared_waiting()
        return queryset


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Account versions, masked: the full number is never shown."""

    list_display = [
        "reseller",
        "version",
        "is_current",
        "beneficiary_name",
        "masked_account",
        "bic",
        "bank_country",
        "currency",
        "shared_with_other_reseller",
        "cooling_off_until",
        "verified_at",
        "frozen_at",
        "refused_at",
        "created_at",
    ]
    list_filter = [
        "shared_with_other_reseller",
        "is_current",
        "currency",
        NoticeUndeliveredFilter,
    ]
    list_select_related = ["reseller"]
    search_fields = ["reseller__legal_name", "beneficiary_name", "account_last4"]
    fields = [
        "reseller",
        "version",
        "is_current",
        "beneficiary_name",
        "masked_account",
        "is_iban",
        "bank_code",
        "bic",
        "bank_country",
        "currency",
        "shared_with_other_reseller",
        "created_by",
        "created_at",
        "admins_told_at",
        "cooling_off_until",
        "verified_at",
        "verified_by",
        "verification_method",
        "frozen_at",
        "frozen_reason",
        "refused_at",
        "refusal_reason",
        "shared_cleared_at",
        "shared_cleared_by",
        "shared_cleared_reason",
    ]
    readonly_fields = fields
    show_full_result_count = False
    actions = ["verify_accounts", "clear_shared_accounts", "refuse_shared_accounts"]

    @admin.display(description=_("account"))
    def masked_account(self, obj: BankAccount) -> str:
        return obj.masked_account

    def has_verify_bank_account_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.verify_bank_account")

    def has_clear_shared_bank_account_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.clear_shared_bank_account")

    def _with_reason(self, request, queryset, *, action, title, label, call):
        """Ask for the reason (or method), then call the service per account."""
        form = AccountReasonForm(
            request.POST if "apply" in request.POST else None, label=label
        )
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            _run(request, self, lambda account: call(account, reason), queryset)
            return None
        return TemplateResponse(
            request,
            "admin/payouts/account_reason.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "accounts": queryset.select_related("reseller"),
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(
        description=_("Verify the selected new accounts (say how)"),
        permissions=["verify_bank_account"],
    )
    def verify_accounts(self, request: HttpRequest, queryset: QuerySet):
        return self._with_reason(
            request,
            queryset,
            action="verify_accounts",
            title=_("Verify bank accounts"),
            label=_("How it was verified (e.g. whom you called, on which number)"),
            call=lambda account, method: services.bank_account_verify(
                account=account, operator=request.user, method=method
            ),
        )

    @admin.action(
        description=_("Clear the selected shared accounts for payment (say why)"),
        permissions=["clear_shared_bank_account"],
    )
    def clear_shared_accounts(self, request: HttpRequest, queryset: QuerySet):
        return self._with_reason(
            request,
            queryset,
            action="clear_shared_accounts",
            title=_("Clear shared bank accounts"),
            label=_("Why this account may be paid"),
            call=lambda account, reason: services.bank_account_shared_clear(
                account=account, operator=request.user, reason=reason
            ),
        )

    @admin.action(
        description=_("Refuse the selected shared accounts (say why)"),
        permissions=["clear_shared_bank_account"],
    )
    def refuse_shared_accounts(self, request: HttpRequest, queryset: QuerySet):
        return self._with_reason(
            request,
            queryset,
            action="refuse_shared_accounts",
            title=_("Refuse shared bank accounts"),
            label=_("Why this company may not be paid to this account"),
            call=lambda account, reason: services.bank_account_shared_refuse(
                account=account, operator=request.user, reason=reason
            ),
        )


class AwaitingSecondOperatorFilter(admin.SimpleListFilter):
    """Rates stored but not usable until another operator confirms them."""

    title = _("second operator")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Awaiting a second operator"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.awaiting_second_operator()
        return queryset


class ExchangeRateForm(forms.ModelForm):
    """Adds and changes go through the rates service once the form is valid,
    so a refusal is a message on the form, never a 500. `operator` is set by
    ExchangeRateAdmin.get_form."""

    operator = None

    class Meta:
        model = ExchangeRate
        fields = ["base_currency", "quote_currency", "rate_date", "rate"]

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors or (self.instance.pk and not self.has_changed()):
            return
        values = {
            name: self.cleaned_data.get(name, getattr(self.instance, name))
            for name in ExchangeRateForm.Meta.fields
        }
        try:
            if self.instance.pk is None:
                self.saved = services.exchange_rate_add(
                    operator=self.operator, **values
                )
            else:
                self.saved = services.exchange_rate_change(
                    exchange_rate=self.instance, operator=self.operator, **values
                )
        except services.PayoutError as error:
            self.add_error(None, error)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Rates operators maintain; a payout uses the one of its calculation date.
    A rate far from the pair's previous one waits for a second operator."""

    form = ExchangeRateForm
    list_display = [
        "rate_date",
        "base_currency",
        "quote_currency",
        "rate",
        "awaiting_second_operator",
        "entered_by",
        "confirmed_by",
    ]
    list_filter = [AwaitingSecondOperatorFilter, "base_currency", "quote_currency"]
    list_select_related = ["entered_by", "confirmed_by"]
    date_hierarchy = "rate_date"
    actions = ["delete_selected", "confirm_rates"]
    FOUR_EYES_FIELDS = [
        "entered_by",
        "entered_at",
        "confirmation_required",
        "confirmed_by",
        "confirmed_at",
    ]

    @admin.display(boolean=True, description=_("awaiting a second operator"))
    def awaiting_second_operator(self, obj: ExchangeRate) -> bool:
        return obj.confirmation_required and obj.confirmed_at is None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"operator": request.user})

    def get_readonly_fields(self, request, obj=None):
        # A rate a payout was converted with is part of that payout's record.
        if obj is not None and selectors.exchange_rate_in_use(rate=obj):
            return [*ExchangeRateForm.Meta.fields, *self.FOUR_EYES_FIELDS]
        return self.FOUR_EYES_FIELDS if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        # The form's service call saved it; the admin logs and redirects to it.
        saved = getattr(form, "saved", None)
        if saved is not None:
            obj.pk = saved.pk
            obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and selectors.exchange_rate_in_use(rate=obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj: ExchangeRate) -> None:
        try:
            services.exchange_rate_delete(exchange_rate=obj, operator=request.user)
        except services.PayoutError as error:
            self.message_user(request, str(error), messages.ERROR)

    @admin.action(description=delete_selected.short_description, permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet):
        """Django's delete, refused when a selected rate is in use (a payout
        was converted with it); the deletion itself is the service's."""
        in_use = [
            rate for rate in queryset if selectors.exchange_rate_in_use(rate=rate)
        ]
        if in_use:
            self.message_user(
                request,
                _(
                    "Nothing was deleted: a payout was converted with %(rates)s. "
                    "Select only rates no payout used."
                )
                % {"rates": ", ".join(str(rate) for rate in in_use)},
                messages.ERROR,
            )
            return None
        if request.POST.get("post"):
            _run(
                request,
                self,
                lambda rate: services.exchange_rate_delete(
                    exchange_rate=rate, operator=request.user
                ),
                queryset,
            )
            return None
        return delete_selected(self, request, queryset)  # the confirmation page

    def has_confirm_exchange_rate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.confirm_exchange_rate")

    @admin.action(
        description=_("Confirm the selected rates (second operator)"),
        permissions=["confirm_exchange_rate"],
    )
    def confirm_rates(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            request,
            self,
            lambda rate: services.exchange_rate_confirm(
                exchange_rate=rate, operator=request.user
            ),
            queryset,
        )


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
class ReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Bank-details reminders as sent (one row per payout, cycle and number)."""

    list_display = ["payout", "cycle", "number", "sent_at"]
    list_filter = [SentThisWeekFilter]
    list_select_related = ["payout__claim"]
    search_fields = ["=payout__claim__reference"]
    ordering = ["-sent_at", "-pk"]
    show_full_result_count = False


class PayoutEventInline(admin.TabularInline):
    model = PayoutEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReminderInline(PayoutEventInline):
    model = Reminder
    fields = ["cycle", "number", "sent_at"]
    readonly_fields = fields


class CancelForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=CorrectionReason.choices)
    reason = forms.CharField(
        label=_("Explanation for the reseller"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class BatchChangeForm(forms.Form):
    """Why a draft batch changes: a code from the list and the operator's words."""

    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=BatchChangeReason.choices
    )
    reason = forms.CharField(
        label=_("In your words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _batch_change(request, modeladmin, queryset, *, action, title, intro, service):
    """Ask for a reason on its own page, then call `service(item, code, words)`
    for every selected row."""
    form = BatchChangeForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        code, words = form.cleaned_data["reason_code"], form.cleaned_data["reason"]
        _run(request, modeladmin, lambda item: service(item, code, words), queryset)
        return None
    return TemplateResponse(
        request,
        "admin/payouts/batch_change.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "items": queryset,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


def _run(request, modeladmin, action, items) -> None:
    """Call `action` per item; report successes and refusals as messages."""
    done = 0
    for item in items:
        try:
            action(item)
            done += 1
        except services.PayoutError as error:
            modeladmin.message_user(request, f"{item}: {error}", messages.ERROR)
    if done:
        modeladmin.message_user(
            request, _("%(count)s done.") % {"count": done}, messages.SUCCESS
        )


@admin.register(Payout)
class PayoutAdmin(ExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
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
        "amount",
        "currency",
        "payout_amount",
        "payout_currency",
        "bank_details_due_at",
        "reminders_sent",
        "release_date",
        "payment_deadline",
        "batch",
    ]
    list_filter = [
        "status",
        "currency",
        "payout_currency",
        DeadlineRiskFilter,
        ScheduledFilter,
        ForfeitedThisWeekFilter,
        NoAdminFilter,
    ]
    list_select_related = ["claim", "reseller", "batch"]
    search_fields = ["claim__reference", "reseller__legal_name", "payment_reference"]
    readonly_fields = [f.name for f in Payout._meta.fields]
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
        return _batch_change(
            request,
            self,
            queryset.select_related("claim"),
            action="remove_from_batch",
            title=_("Take payouts out of their draft batch"),
            intro=_(
                "These payouts stay scheduled and can go into a later batch. "
                "A released batch cannot be changed."
            ),
            service=lambda payout, code, words: services.batch_payout_remove(
                payout=payout, operator=request.user, reason_code=code, reason=words
            ),
        )

    def has_cancel_payout_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.cancel_payout")

    @admin.action(
        description=_("Cancel the selected payouts (with a reason)…"),
        permissions=["cancel_payout"],
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet):
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            _run(
                request,
                self,
                lambda p: services.payout_cancel(
                    payout=p,
                    actor=request.user,
                    reason_code=form.cleaned_data["reason_code"],
                    reason=form.cleaned_data["reason"],
                ),
                queryset.select_related("claim"),
            )
            return None
        return TemplateResponse(
            request,
            "admin/payouts/cancel.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Cancel payouts"),
                "form": form,
                "payouts": queryset.select_related("claim"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
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
                _("Select scheduled payouts of one currency."),
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
        self.message_user(
            request,
            _("Batch %(batch)s created; another operator releases it.")
            % {"batch": batch.message_id},
            messages.SUCCESS,
        )


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Batches: created from payouts, released by another operator, downloaded."""

    list_display = [
        "message_id",
        "currency",
        "status",
        "total_amount",
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
        "total_amount",
        "created_by",
        "created_at",
        "released_by",
        "released_at",
        "cancelled_by",
        "cancelled_at",
        "cancel_reason_code",
        "cancel_reason",
    ]
    exclude = ["payment_file"]
    actions = ["release", "cancel_batch", "download_file"]

    def has_change_permission(self, request, obj=None) -> bool:
        return (
            request.user.has_perm("payouts.change_paymentbatch")
            if obj is None
            else False
        )

    @admin.action(
        description=_("Release the selected batches (four eyes)"),
        permissions=["change"],
    )
    def release(self, request: HttpRequest, queryset: QuerySet) -> None:
        def release_one(batch):
            released = services.batch_release(batch=batch, operator=request.user)
            for payout, reason in released.skipped:
                # A held payout is left out, not the whole batch (issue 27).
                self.message_user(
                    request,
                    _("%(batch)s: payout %(id)s left out, %(reason)s.")
                    % {"batch": released, "id": payout.pk, "reason": reason},
                    messages.WARNING,
                )

        _run(request, self, release_one, queryset)

    def has_change_draft_batch_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.change_draft_batch")

    @admin.action(
        description=_("Cancel the selected draft batches"),
        permissions=["change_draft_batch"],
    )
    def cancel_batch(self, request: HttpRequest, queryset: QuerySet):
        return _batch_change(
            request,
            self,
            queryset,
            action="cancel_batch",
            title=_("Cancel draft batches"),
            intro=_(
                "Their payouts go back to scheduled, free for another batch. "
                "A released batch cannot be cancelled."
            ),
            service=lambda batch, code, words: services.batch_cancel(
                batch=batch, operator=request.user, reason_code=code, reason=words
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


# The bank files' admin lives beside their code (payouts/bank/); imported here
# so that admin's autodiscovery, which imports payouts.admin, registers it.
from payouts.bank import admin as _bank_admin  # noqa: E402, F401
