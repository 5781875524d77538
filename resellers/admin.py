"""Admin for vendor staff: resellers, users, domain rules and program memberships."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from cashback.staff_enrolment import send_mfa_enrolment_link

from .domain_policy import email_domain
from .models import (
    EmailDomainRule,
    PendingMembership,
    ProgramMembership,
    Reseller,
    ResellerDomain,
    ResellerEvent,
    User,
)
from .services import reseller_approve


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "reseller", "is_staff"]
    list_select_related = ["reseller"]
    list_filter = ["is_staff", "is_active", "is_company_admin"]
    search_fields = ["email", "first_name", "last_name"]
    raw_id_fields = ["reseller"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {"fields": ("first_name", "last_name", "preferred_language")},
        ),
        (_("Company"), {"fields": ("reseller", "is_company_admin")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )
    actions = [send_mfa_enrolment_link]


class MemberInline(admin.TabularInline):
    model = User
    fields = ["email", "first_name", "last_name", "is_company_admin", "is_active"]
    readonly_fields = ["email"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ResellerDomainInline(admin.TabularInline):
    model = ResellerDomain
    extra = 0


class ProgramMembershipInline(admin.TabularInline):
    model = ProgramMembership
    extra = 0


class PendingMembershipInline(admin.TabularInline):
    model = PendingMembership
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ResellerEventInline(admin.TabularInline):
    model = ResellerEvent
    fields = ["created_at", "kind", "actor", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-created_at"]


@admin.register(Reseller)
class ResellerAdmin(SimpleHistoryAdmin):
    list_display = ["legal_name", "country", "org_number", "status", "created_at"]
    list_filter = ["status", "country"]
    search_fields = ["legal_name", "normalized_name", "=org_number", "domains__domain"]
    readonly_fields = ["normalized_name", "created_at"]
    inlines = [
        MemberInline,
        PendingMembershipInline,
        ResellerDomainInline,
        ProgramMembershipInline,
        ResellerEventInline,
    ]
    actions = ["approve_held"]
    show_full_result_count = False  # no COUNT(*) over millions of rows

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("resellers.approve_reseller")

    @admin.action(
        description=_("Approve the selected held resellers"), permissions=["approve"]
    )
    def approve_held(self, request, queryset) -> None:
        approved = sum(
            reseller_approve(reseller=reseller, actor=request.user)
            for reseller in queryset.filter(status=Reseller.Status.HELD)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d reseller approved.",
                "%(count)d resellers approved.",
                approved,
            )
            % {"count": approved},
            messages.SUCCESS,
        )


class EmailDomainRuleForm(forms.ModelForm):
    class Meta:
        model = EmailDomainRule
        fields = ["domain", "action", "note"]

    def clean_domain(self) -> str:
        # Stored the way the policy looks it up: lower case, no "@", no spaces.
        domain = email_domain("@" + self.cleaned_data["domain"].lstrip("@"))
        if "." not in domain:
            raise forms.ValidationError(_("Enter a domain such as example.se."))
        return domain


@admin.register(EmailDomainRule)
class EmailDomainRuleAdmin(admin.ModelAdmin):
    form = EmailDomainRuleForm
    list_display = ["domain", "action", "note", "created_at"]
    list_filter = ["action"]
    search_fields = ["domain", "note"]


@admin.register(ProgramMembership)
class ProgramMembershipAdmin(admin.ModelAdmin):
    list_display = ["reseller", "program", "start_date", "end_date"]
    list_filter = ["program"]
    list_select_related = ["reseller"]
    search_fields = ["reseller__legal_name", "=reseller__org_number", "program"]
    raw_id_fields = ["reseller"]
    date_hierarchy = "start_date"
    show_full_result_count = False
