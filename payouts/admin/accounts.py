"""Bank account versions in admin, masked: operators verify new accounts and
clear shared ones, each saying how or why."""

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cashback.admin import ReadOnlyAdmin, admin_action_with_form

from .. import services
from ..models import BankAccount


class AccountWordsForm(forms.Form):
    """An operator's words about an account, kept with it (never sent out)."""

    label = ""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = self.label

    @property
    def words(self) -> str:
        return self.cleaned_data["reason"]


class VerifyAccountForm(AccountWordsForm):
    label = _("How it was verified (e.g. whom you called, on which number)")


class ClearSharedAccountForm(AccountWordsForm):
    label = _("Why this account may be paid")


class RefuseSharedAccountForm(AccountWordsForm):
    label = _("Why this company may not be paid to this account")


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


def account_name(account: BankAccount) -> str:
    return f"{account.reseller.legal_name}: {account}"


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
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

    @admin.action(
        description=_("Verify the selected new accounts (say how)"),
        permissions=["verify_bank_account"],
    )
    def verify_accounts(self, request: HttpRequest, queryset: QuerySet):
        return admin_action_with_form(
            self,
            request,
            queryset.select_related("reseller"),
            form_class=VerifyAccountForm,
            title=_("Verify bank accounts"),
            run=lambda form, account: services.bank_account_verify(
                account=account, operator=request.user, method=form.words
            ),
            done=lambda count, names: (
                ngettext(
                    "Verified %(count)d bank account: %(names)s.",
                    "Verified %(count)d bank accounts: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
            name=account_name,
            submit=_("Save"),
        )

    @admin.action(
        description=_("Clear the selected shared accounts for payment (say why)"),
        permissions=["clear_shared_bank_account"],
    )
    def clear_shared_accounts(self, request: HttpRequest, queryset: QuerySet):
        return admin_action_with_form(
            self,
            request,
            queryset.select_related("reseller"),
            form_class=ClearSharedAccountForm,
            title=_("Clear shared bank accounts"),
            run=lambda form, account: services.bank_account_shared_clear(
                account=account, operator=request.user, reason=form.words
            ),
            done=lambda count, names: (
                ngettext(
                    "Cleared %(count)d shared bank account for payment: %(names)s.",
                    "Cleared %(count)d shared bank accounts for payment: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
            name=account_name,
            submit=_("Save"),
        )

    @admin.action(
        description=_("Refuse the selected shared accounts (say why)"),
        permissions=["clear_shared_bank_account"],
    )
    def refuse_shared_accounts(self, request: HttpRequest, queryset: QuerySet):
        return admin_action_with_form(
            self,
            request,
            queryset.select_related("reseller"),
            form_class=RefuseSharedAccountForm,
            title=_("Refuse shared bank accounts"),
            run=lambda form, account: services.bank_account_shared_refuse(
                account=account, operator=request.user, reason=form.words
            ),
            done=lambda count, names: (
                ngettext(
                    "Refused %(count)d shared bank account: %(names)s.",
                    "Refused %(count)d shared bank accounts: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
            name=account_name,
            submit=_("Save"),
        )
