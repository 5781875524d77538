"""Exchange rates in admin: operators maintain them, a rate far from the pair's
previous one waits for a second operator; every write is the rates service's."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cashback.admin import admin_action_run

from .. import selectors, services
from ..models import ExchangeRate


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
            admin_action_run(
                self,
                request,
                queryset,
                run=lambda rate: services.exchange_rate_delete(
                    exchange_rate=rate, operator=request.user
                ),
                done=lambda count, names: (
                    ngettext(
                        "Deleted %(count)d rate: %(names)s.",
                        "Deleted %(count)d rates: %(names)s.",
                        count,
                    )
                    % {"count": count, "names": names}
                ),
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
        admin_action_run(
            self,
            request,
            queryset,
            run=lambda rate: services.exchange_rate_confirm(
                exchange_rate=rate, operator=request.user
            ),
            done=lambda count, names: (
                ngettext(
                    "Confirmed %(count)d rate: %(names)s.",
                    "Confirmed %(count)d rates: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )
