"""Admin for vendor staff: resellers, users, domain rules and program memberships."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from cashback.admin import admin_action_run, admin_action_with_form
from cashback.security import client_ip
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
    WaitingMembership,
)
from .services import (
    company_admin_appoint,
    reseller_approve,
    reseller_legal_name_change,
    reseller_org_number_change,
    reseller_status_set,
    user_membership_set,
)


def _changed(count: int, names: str) -> str:
    return ngettext(
        "Changed %(count)d row: %(names)s.", "Changed %(count)d rows: %(names)s.", count
    ) % {"count": count, "names": names}


class LegalNameForm(forms.Form):
    legal_name = forms.CharField(label=_("Company legal name"), max_length=200)


class OrgNumberForm(forms.Form):
    org_number = forms.CharField(label=_("Organisation number"), max_length=40)


class MembershipForm(forms.Form):
    reseller = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Reseller.objects.all(),
        required=False,
        widget=forms.NumberInput,
        to_field_name="pk",
    )
    is_company_admin = forms.BooleanField(label=_("Company admin"), required=False)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "reseller", "is_staff"]
    list_select_related = ["reseller"]
    list_filter = ["is_staff", "is_active", "is_company_admin"]
    search_fields = ["email", "first_name", "last_name"]
    # The company and the admin role change through user_membership_set; a
    # company admin approves a member on the portal (reseller_member_approve).
    readonly_fields = [
        "reseller",
        "is_company_admin",
        "member_approved_at",
        "member_approved_by",
    ]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {"fields": ("first_name", "last_name", "preferred_language")},
        ),
        (
            _("Company"),
            {
                "fields": (
                    "reseller",
                    "is_company_admin",
                    "member_approved_at",
                    "member_approved_by",
                )
            },
        ),
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
    # Once declared twice, the second list hid set_membership (issue 27).
    actions = [send_mfa_enrolment_link, "make_company_admin", "set_membership"]

    @admin.action(
        description=_("Make company admin (nobody else can give bank details)"),
        permissions=["change"],
    )
    def make_company_admin(self, request, queryset):
        """The vendor appoints a verified user as their company's admin, for a
        company where nobody may give bank details (issue 27)."""
        admin_action_run(
            self,
            request,
            queryset,
            run=lambda user: company_admin_appoint(
                user=user, actor=request.user, ip=client_ip(request)
            ),
            done=lambda count, names: (
                ngettext(
                    "%(count)d user is now their company's admin and was told.",
                    "%(count)d users are now their company's admin and were told.",
                    count,
                )
                % {"count": count}
            ),
        )

    @admin.action(
        description=_("Set the company and admin role…"), permissions=["change"]
    )
    def set_membership(self, request, queryset):
        return admin_action_with_form(
            self,
            request,
            queryset,
            form_class=MembershipForm,
            title=_("Set the company and admin role"),
            done=_changed,
            run=lambda form, user: user_membership_set(
                user=user,
                actor=request.user,
                reseller=form.cleaned_data["reseller"],
                is_company_admin=form.cleaned_data["is_company_admin"],
            ),
        )


class MemberInline(admin.TabularInline):
    model = User
    fields = [
        "email",
        "first_name",
        "last_name",
        "is_company_admin",
        "member_approved_at",
        "is_active",
    ]
    readonly_fields = ["email", "is_company_admin", "member_approved_at"]
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
    # Status, organisation number and legal name change through the services
    # (actions below), which record the event and tell whoever must know.
    readonly_fields = [
        "legal_name",
        "normalized_name",
        "org_number",
        "status",
        "created_at",
    ]
    inlines = [
        MemberInline,
        PendingMembershipInline,
        ResellerDomainInline,
        ProgramMembershipInline,
        ResellerEventInline,
    ]
    actions = [
        "approve_held",
        "suspend",
        "reactivate",
        "change_legal_name",
        "change_org_number",
    ]
    show_full_result_count = False  # no COUNT(*) over millions of rows

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("resellers.approve_reseller")

    @admin.action(
        description=_("Approve the selected held resellers"), permissions=["approve"]
    )
    def approve_held(self, request, queryset) -> None:
        approved = sum(
            admin_action_run(
                self,
                request,
                queryset.filter(status=Reseller.Status.HELD),
                run=lambda reseller: reseller_approve(
                    reseller=reseller, actor=request.user
                ),
                done=None,  # the count is of resellers the service changed
            )
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

    def _set_status(self, request, queryset, status) -> None:
        changed = sum(
            admin_action_run(
                self,
                request,
                queryset,
                run=lambda reseller: reseller_status_set(
                    reseller=reseller, actor=request.user, status=status
                ),
                done=None,  # the count is of resellers the service changed
            )
        )
        self.message_user(
            request, _("%(count)d changed.") % {"count": changed}, messages.SUCCESS
        )

    @admin.action(
        description=_("Suspend the selected resellers"), permissions=["change"]
    )
    def suspend(self, request, queryset) -> None:
        self._set_status(request, queryset, Reseller.Status.SUSPENDED)

    @admin.action(
        description=_("Reactivate the selected resellers"), permissions=["change"]
    )
    def reactivate(self, request, queryset) -> None:
        self._set_status(request, queryset, Reseller.Status.ACTIVE)

    @admin.action(description=_("Change the legal name…"), permissions=["change"])
    def change_legal_name(self, request, queryset):
        return admin_action_with_form(
            self,
            request,
            queryset,
            form_class=LegalNameForm,
            title=_("Change the legal name"),
            done=_changed,
            run=lambda form, reseller: reseller_legal_name_change(
                reseller=reseller,
                actor=request.user,
                legal_name=form.cleaned_data["legal_name"],
            ),
        )

    @admin.action(
        description=_("Change the organisation number…"), permissions=["change"]
    )
    def change_org_number(self, request, queryset):
        return admin_action_with_form(
            self,
            request,
            queryset,
            form_class=OrgNumberForm,
            title=_("Change the organisation number"),
            done=_changed,
            run=lambda form, reseller: reseller_org_number_change(
                reseller=reseller,
                actor=request.user,
                org_number=form.cleaned_data["org_number"],
            ),
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


@admin.register(WaitingMembership)
class WaitingMembershipAdmin(admin.ModelAdmin):
    """Imported memberships whose company has not signed up yet: written only
    by the import, applied by sign-up; program managers read them here."""

    list_display = ["org_number", "program", "start_date", "end_date", "imported_at"]
    list_filter = ["program"]
    search_fields = ["org_number", "=org_number_key"]
    readonly_fields = [
        "org_number",
        "org_number_key",
        "program",
        "start_date",
        "end_date",
        "imported_at",
    ]
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
