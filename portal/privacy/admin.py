"""Admin: staff close an account on a person's written request (with the
permission privacy.close_account), and read what the retention job deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from resellers.models import User

from .erasure import account_close, account_close_refusal
from .models import AccountClosure, RetentionDeletion


class AccountClosureForm(forms.ModelForm):
    """The account to close and the person's written request."""

    user = forms.ModelChoiceField(
        label=_("Account"),
        queryset=User.objects.filter(is_active=True, closure__isnull=True),
        widget=forms.NumberInput,
        help_text=_("The account's id (from the users list)."),
    )
    reason = forms.CharField(
        label=_("Written request"),
        widget=forms.Textarea,
        help_text=_("When and how the person asked; where the request is filed."),
    )

    class Meta:
        model = AccountClosure
        fields = ["user", "reason"]

    def validate_unique(self) -> None:  # the service decides
        pass

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user")
        refusal = account_close_refusal(user=user) if user is not None else None
        if refusal is not None:
            raise ValidationError(refusal.messages)
        return cleaned


@admin.register(AccountClosure)
class AccountClosureAdmin(admin.ModelAdmin):
    list_display = ["pseudonym", "closed_at", "closed_by"]
    readonly_fields = ["user", "pseudonym", "closed_at", "closed_by", "reason"]
    form = AccountClosureForm

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("privacy.close_account")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["user", "reason"]

    def save_model(self, request, obj, form, change) -> None:
        # The form checked the refusals; the service checks them again under
        # the account's row lock and writes the closure, its pseudonym and
        # the security-log row.
        closure = account_close(
            user=form.cleaned_data["user"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
        obj.pk = closure.pk
        obj.__dict__.update(closure.__dict__)


@admin.register(RetentionDeletion)
class RetentionDeletionAdmin(admin.ModelAdmin):
    list_display = ["ran_at", "kind", "count"]
    list_filter = ["kind"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
