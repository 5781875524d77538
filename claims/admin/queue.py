"""The reviewers' queue: oldest first, validation outcome and age at a glance.

Everything is read-only: states and amounts change only through the services,
called by the actions below (on a selection in the list, or on one claim from
its page). A transition that is not allowed is reported per claim and leaves
that claim untouched.
"""

import json

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpRequest, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cashback.admin import admin_action_run, admin_action_with_form
from cashback.exports import ExportMixin
from cashback.timeline_admin import StateChangeEventInline

from .. import services
from ..checks import checks_in_words, reward_in_words
from ..models import Claim, ClaimEvent, OpenAgreement, RewardAdjustment
from .filters import AgeFilter, CountryFilter, WaitingFilter
from .forms import AdjustRewardForm, RejectForm, RequestInvoiceForm, ReverseApprovalForm


def reference(claim: Claim) -> str:
    return claim.reference


def reader_language(claim: Claim) -> str:
    """The language the claim's filer reads its e-mails and timeline in."""
    return claim.submitted_by.language


class ClaimEventInline(StateChangeEventInline):
    model = ClaimEvent
    states = Claim.Status

    def has_change_permission(self, request, obj=None):
        return False

    def event_words(self, event: ClaimEvent) -> str:
        return event.message_in_words


class EstimatedCountPaginator(Paginator):
    """Counts exactly up to `EXACT_BELOW` rows, above that takes PostgreSQL's
    estimate (bench, issue 9): counting 1,000,000 claims on every page of the
    queue cost more than the page. The admin then shows an approximate total
    and page count for very long lists only; SQLite always counts."""

    EXACT_BELOW = 50_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            plan = json.loads(queryset.order_by().explain(format="json"))
            estimate = int(plan[0]["Plan"]["Plan Rows"])
            if estimate >= self.EXACT_BELOW:
                return estimate
        return super().count


@admin.register(Claim)
class ClaimAdmin(ExportMixin, admin.ModelAdmin):
    """The reviewers' queue: oldest first, validation outcome and age at a glance."""

    export_fields = [
        (_("reference"), "reference"),
        (_("reseller"), "reseller__legal_name"),
        (_("organisation number"), "reseller__org_number"),
        (_("country"), "reseller__country"),
        (_("offer"), "offer__slug"),
        (_("status"), "status"),
        (_("validation"), "validation_outcome"),
        (_("reward"), "reward_amount"),
        (_("reward currency"), "reward_currency"),
        (_("filed at"), "created_at"),
        (_("decided at"), "decided_at"),
        (_("reviewer"), "reviewer__email"),
    ]

    list_display = [
        "reference",
        "reseller",
        "offer",
        "status",
        "validation_outcome",
        "validated_at",
        "reward",
        "age",
    ]
    list_filter = [
        "status",
        "validation_outcome",
        "offer",
        CountryFilter,
        AgeFilter,
        WaitingFilter,
    ]
    search_fields = [
        "=reference",
        "=agreements__agreement_number",
        "reseller__legal_name",
        "=reseller__org_number",
    ]
    ordering = ["created_at", "pk"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_select_related = ["reseller", "offer"]
    list_per_page = 50
    actions = [
        "approve",
        "reject",
        "request_invoice",
        "revalidate",
        "reverse_approval",
        "adjust_reward",
        "confirm_adjustment",
    ]
    inlines = [ClaimEventInline]
    change_form_template = "admin/claims/claim/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "reseller_summary",
                    "offer",
                    "status",
                    "submitted_by",
                    "created_at",
                    "terms",
                    "terms_accepted_at",
                    "terms_accepted_ip",
                ]
            },
        ),
        (
            _("Decision"),
            {
                "fields": [
                    "reviewer",
                    "decided_at",
                    "decision_reason_code",
                    "decision_reason",
                    "disputed_at",
                ]
            },
        ),
        (
            _("Validation"),
            {
                "fields": [
                    "validation_outcome",
                    "validated_at",
                    "reward",
                    "pending_adjustment",
                    "reward_explanation",
                    "agreements_with_ledger",
                    "claim_checks",
                ]
            },
        ),
        (
            _("Files and history"),
            {"fields": ["invoice_files", "duplicate_attempts", "other_claims"]},
        ),
    ]
    readonly_fields = [
        "reference",
        "reseller_summary",
        "offer",
        "status",
        "submitted_by",
        "created_at",
        "terms",
        "terms_accepted_at",
        "terms_accepted_ip",
        "reviewer",
        "decided_at",
        "decision_reason_code",
        "decision_reason",
        "disputed_at",
        "validation_outcome",
        "validated_at",
        "reward",
        "pending_adjustment",
        "reward_explanation",
        "agreements_with_ledger",
        "claim_checks",
        "invoice_files",
        "duplicate_attempts",
        "other_claims",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # nothing is edited by hand

    def has_review_permission(self, request) -> bool:
        return services.user_may_review(request.user)

    # Columns and fields ------------------------------------------------------

    @admin.display(description=_("reward"))
    def reward(self, claim: Claim) -> str:
        return render_to_string("admin/claims/claim/reward.html", {"claim": claim})

    @admin.display(description=_("reward adjustment waiting for a second reviewer"))
    def pending_adjustment(self, claim: Claim) -> str:
        pending = claim.reward_adjustments.filter(
            status=RewardAdjustment.Status.PENDING
        ).first()
        if pending is None:
            return "–"
        return render_to_string(
            "admin/claims/claim/pending_adjustment.html", {"pending": pending}
        )

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, claim: Claim) -> str:
        days = (timezone.now() - claim.created_at).days
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    @admin.display(description=_("reseller"))
    def reseller_summary(self, claim: Claim):
        return render_to_string(
            "admin/claims/claim/reseller.html", {"reseller": claim.reseller}
        )

    @admin.display(description=_("how the reward was counted"))
    def reward_explanation(self, claim: Claim) -> str:
        return reward_in_words(claim.validation_report)

    @admin.display(description=_("agreements and the ledger"))
    def agreements_with_ledger(self, claim: Claim):
        numbers = list(
            claim.agreements.order_by("pk").values_list("agreement_number", flat=True)
        )
        ledger = {
            row.agreement_number: row
            for row in OpenAgreement.objects.filter(
                agreement_number__in=numbers
            ).select_related("product", "licence_type", "customer_segment")
        }
        checks: dict[str, list[dict]] = {}
        for check in checks_in_words(claim.validation_report):
            if check["agreement"] and check["result"] != "pass":
                checks.setdefault(check["agreement"], []).append(check)
        rows = [
            (number, ledger.get(number), checks.get(number, [])) for number in numbers
        ]
        return render_to_string("admin/claims/claim/ledger.html", {"rows": rows})

    @admin.display(description=_("claim checks"))
    def claim_checks(self, claim: Claim):
        checks = [
            check
            for check in checks_in_words(claim.validation_report)
            if not check["agreement"]
        ]
        return render_to_string("admin/claims/claim/checks.html", {"checks": checks})

    @admin.display(description=_("invoice copies"))
    def invoice_files(self, claim: Claim):
        return render_to_string(
            "admin/claims/claim/invoices.html",
            {"claim": claim, "documents": claim.invoices.all()},
        )

    @admin.display(description=_("attempts by other companies"))
    def duplicate_attempts(self, claim: Claim):
        attempts = claim.duplicate_attempts.select_related("reseller")[:20]
        return render_to_string(
            "admin/claims/claim/duplicate_attempts.html", {"attempts": attempts}
        )

    @admin.display(description=_("the company's other claims"))
    def other_claims(self, claim: Claim):
        others = (
            Claim.objects.filter(reseller=claim.reseller_id)
            .exclude(pk=claim.pk)
            .select_related("offer")
            .order_by("-created_at")[:20]
        )
        return render_to_string(
            "admin/claims/claim/other_claims.html", {"others": others}
        )

    # Actions -----------------------------------------------------------------

    def _run(self, request, claims, run, done) -> None:
        admin_action_run(self, request, claims, run=run, done=done, name=str)

    def _with_form(self, request, queryset, *, form_class, title, run, done):
        return admin_action_with_form(
            self,
            request,
            queryset.select_related("submitted_by__reseller"),
            form_class=form_class,
            title=title,
            run=run,
            done=done,
            name=reference,
            reader_language=reader_language,
        )

    @admin.action(description=_("Approve"), permissions=["review"])
    def approve(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda claim: services.claim_approve(claim=claim, actor=request.user),
            lambda count, names: (
                ngettext(
                    "Approved %(count)d claim: %(names)s.",
                    "Approved %(count)d claims: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )

    @admin.action(description=_("Re-run validation"), permissions=["review"])
    def revalidate(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda claim: services.claim_validate(
                claim_id=claim.pk, actor=request.user
            ),
            lambda count, names: (
                ngettext(
                    "Validation run again on %(count)d claim: %(names)s.",
                    "Validation run again on %(count)d claims: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )

    @admin.action(description=_("Reject with a reason…"), permissions=["review"])
    def reject(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            form_class=RejectForm,
            title=_("Reject claims"),
            run=lambda form, claim: services.claim_reject(
                claim=claim,
                actor=request.user,
                reason_code=form.code,
                reason=form.words,
            ),
            done=lambda count, names: (
                ngettext(
                    "Rejected %(count)d claim: %(names)s.",
                    "Rejected %(count)d claims: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )

    @admin.action(description=_("Request an invoice copy…"), permissions=["review"])
    def request_invoice(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            form_class=RequestInvoiceForm,
            title=_("Ask for an invoice copy"),
            run=lambda form, claim: services.claim_request_invoice(
                claim=claim, actor=request.user, message=form.cleaned_data["message"]
            ),
            done=lambda count, names: (
                ngettext(
                    "Asked for an invoice copy on %(count)d claim: %(names)s.",
                    "Asked for an invoice copy on %(count)d claims: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )

    @admin.action(description=_("Reverse the approval…"), permissions=["review"])
    def reverse_approval(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            form_class=ReverseApprovalForm,
            title=_("Reverse approvals: the claims go back to review"),
            run=lambda form, claim: services.claim_approval_reverse(
                claim=claim,
                actor=request.user,
                to=Claim.Status.IN_REVIEW,
                reason_code=form.code,
                reason=form.words,
            ),
            done=lambda count, names: (
                ngettext(
                    "Reversed the approval of %(count)d claim, back in review: "
                    "%(names)s.",
                    "Reversed the approval of %(count)d claims, back in review: "
                    "%(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )

    @admin.action(description=_("Adjust the reward…"), permissions=["review"])
    def adjust_reward(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            form_class=AdjustRewardForm,
            title=_("Adjust rewards"),
            run=lambda form, claim: services.claim_reward_adjust(
                claim=claim,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                reason_code=form.code,
                reason=form.words,
            ),
            done=lambda count, names: (
                ngettext(
                    "Adjusted the reward of %(count)d claim, or sent it to a second "
                    "reviewer: %(names)s.",
                    "Adjusted the reward of %(count)d claims, or sent them to a second "
                    "reviewer: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
        )

    @admin.action(
        description=_("Confirm the proposed reward (second reviewer)"),
        permissions=["review"],
    )
    def confirm_adjustment(self, request, queryset):
        pending = RewardAdjustment.objects.filter(
            claim__in=queryset, status=RewardAdjustment.Status.PENDING
        ).select_related("claim")
        admin_action_run(
            self,
            request,
            pending,
            run=lambda adjustment: services.claim_reward_adjustment_confirm(
                adjustment=adjustment, actor=request.user
            ),
            done=lambda count, names: (
                ngettext(
                    "Confirmed the adjusted reward of %(count)d claim: %(names)s.",
                    "Confirmed the adjusted rewards of %(count)d claims: %(names)s.",
                    count,
                )
                % {"count": count, "names": names}
            ),
            name=lambda adjustment: adjustment.claim.reference,
        )

    # One claim from its page: the same actions on a one-claim selection.

    def get_urls(self):
        return [
            path(
                "<int:claim_id>/act/",
                self.admin_site.admin_view(self.act_on_one),
                name="claims_claim_act",
            ),
            *super().get_urls(),
        ]

    def act_on_one(self, request: HttpRequest, claim_id: int):
        if request.method != "POST" or not self.has_review_permission(request):
            return HttpResponseRedirect(
                reverse("admin:claims_claim_change", args=[claim_id])
            )
        queryset = Claim.objects.filter(pk=claim_id)
        action = request.POST.get("action")
        handler = {
            "approve": self.approve,
            "reject": self.reject,
            "request_invoice": self.request_invoice,
            "revalidate": self.revalidate,
            "reverse_approval": self.reverse_approval,
            "adjust_reward": self.adjust_reward,
            "confirm_adjustment": self.confirm_adjustment,
        }.get(action)
        response = handler(request, queryset) if handler else None
        return response or HttpResponseRedirect(
            reverse("admin:claims_claim_change", args=[claim_id])
        )

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_review"] = self.has_review_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)
