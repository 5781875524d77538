"""The kernel's admin: the outbox, the schedules, the security log, and the one
way an admin action asks for a form and runs a service per selected row
(`admin_action_with_form`, `admin_action_run`), which every app's actions use."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from allauth.account import admin as account_admin
from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

from .exports import ExportMixin
from .jobs import JOBS, JobNotFound, job_is_known, job_run_now
from .models import JobRun, OutboxMessage, SecurityEvent
from .money import money

# The marker an action's own page posts with its form; "confirm" is what the
# pages posted before they shared this helper.
ACTION_FORM_SUBMITTED = ("apply", "confirm")
NAMES_SHOWN = 20  # rows named in one message; the rest are counted


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: viewable, never added, edited or deleted
    by hand (actions call the services)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def money_column(amount, currency, *, description=None) -> Callable:
    """A list column or read-only field that writes an amount as money in the
    reader's language ("2 500,00 kr", "SEK 2,500.00"), sorted by the amount,
    headed by the amount field's label. The bare DecimalField reads "2500.00"
    beside a separate currency column.

    In a ModelAdmin: `amount_money = money_column(Payout.amount, Payout.currency)`,
    then "amount_money" in list_display or readonly_fields (and the amount field
    in `exclude` on a page that shows every field)."""
    amount_field, currency_field = amount.field, currency.field

    @admin.display(
        description=description or amount_field.verbose_name,
        ordering=amount_field.name,
    )
    def column(modeladmin: admin.ModelAdmin, obj) -> str | None:
        value = getattr(obj, amount_field.attname)
        if value is None:
            return None  # the admin's empty value
        return money(value, getattr(obj, currency_field.attname))

    column.__name__ = f"{amount_field.name}_money"
    return column


def names_text(names: Sequence[str]) -> str:
    """ "CB-1, CB-2 and 3 more": what a message names, never a page of it."""
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) <= NAMES_SHOWN:
        return shown
    return _("%(names)s and %(count)d more") % {
        "names": shown,
        "count": len(names) - NAMES_SHOWN,
    }


def admin_action_run(
    modeladmin: admin.ModelAdmin,
    request,
    items: Iterable,
    *,
    run: Callable[[Any], Any],
    done: Callable[[int, str], str] | None,
    name: Callable[[Any], str] = str,
    refused: Callable[[Any, ValidationError], str] | None = None,
) -> list:
    """Call `run(item)` (a service) per item. A refusal (a ValidationError, the
    base of every app's error) is an error message naming the item (or
    `refused(item, error)`, for one that reads the error by field), and the
    others go on; the items done are named in one success message,
    `done(count, names)`. Returns what each successful `run` returned."""
    results, names = [], []
    for item in items:
        try:
            results.append(run(item))
        except ValidationError as error:
            text = (
                refused(item, error)
                if refused is not None
                else f"{name(item)}: {' '.join(error.messages)}"
            )
            modeladmin.message_user(request, text, messages.ERROR)
        else:
            names.append(name(item))
    if names and done is not None:
        modeladmin.message_user(
            request, done(len(names), names_text(names)), messages.SUCCESS
        )
    return results


def language_name(code: str) -> str:
    """A language's name in the current language ("svenska" -> "Swedish")."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def admin_action_with_form(
    modeladmin: admin.ModelAdmin,
    request,
    queryset,
    *,
    form_class,
    title: str,
    run: Callable[[Any, Any], Any],
    done: Callable[[int, str], str],
    intro: str = "",
    name: Callable[[Any], str] = str,
    reader_language: Callable[[Any], str] | None = None,
    submit: str = "",
    form_kwargs: dict | None = None,
    template: str = "admin/action_form.html",
    context: dict | None = None,
):
    """An admin action that needs words first: its own page with `form_class`,
    then `run(form, item)` per selected row through admin_action_run.

    `reader_language(item)` names the language the row's reseller reads, shown
    beside it so the person writing knows who reads their words. A page that
    shows more (a batch's payouts) extends the template with `context`."""
    bound = any(marker in request.POST for marker in ACTION_FORM_SUBMITTED)
    form = form_class(request.POST if bound else None, **(form_kwargs or {}))
    if bound and form.is_valid():
        admin_action_run(
            modeladmin,
            request,
            queryset,
            run=lambda item: run(form, item),
            done=done,
            name=name,
        )
        return None
    rows = [
        (
            item.pk,
            name(item),
            language_name(reader_language(item)) if reader_language else "",
        )
        for item in queryset
    ]
    return TemplateResponse(
        request,
        template,
        {
            **modeladmin.admin_site.each_context(request),
            **(context or {}),
            "title": title,
            "intro": intro,
            "form": form,
            "rows": rows,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "submit": submit or _("Confirm"),
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Operators see what waits to be sent and why it failed; nobody edits it."""

    list_display = ["subject", "created_at", "sent_at", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["dedup_key", "subject"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# admin: django-celery-beat's schedules with the last run of each job and a
# "run now" button. Importing beat's admin (at the top) registers it, so it can
# be replaced whatever the order of INSTALLED_APPS.


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)


class ScheduledJobForm(beat_admin.PeriodicTaskForm):
    """Beat's form, refusing a task that is not one of the jobs (cashback.jobs)."""

    def clean(self):
        data = super().clean()
        task = data.get("task")
        if task and not job_is_known(task):
            error = _(
                "%(task)s is not one of the portal's jobs; choose one of: %(jobs)s."
            ) % {"task": task, "jobs": ", ".join(sorted(JOBS))}
            self.add_error("regtask" if data.get("regtask") else "task", error)
        return data


@admin.register(PeriodicTask)
class ScheduledJobAdmin(beat_admin.PeriodicTaskAdmin):
    """Beat's schedules, each with its last run, how it ended, and "run now".

    Beat's own actions are declared again here only to state the permission
    each needs (changing a schedule), which beat's admin leaves out.
    """

    form = ScheduledJobForm
    actions = ["enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks"]

    list_display = [
        "name",
        "enabled",
        "task",
        "scheduler",
        "last_run_started",
        "last_run_outcome",
        "run_now",
    ]

    def get_queryset(self, request):
        runs = JobRun.objects.filter(periodic_task_name=OuterRef("name")).order_by(
            "-started_at", "-pk"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_started=Subquery(runs.values("started_at")[:1]),
                last_outcome=Subquery(runs.values("outcome")[:1]),
                last_summary=Subquery(runs.values("summary")[:1]),
            )
        )

    @admin.display(description=_("last run"), ordering="last_started")
    def last_run_started(self, job) -> str:
        return job.last_started or "–"

    @admin.display(description=_("outcome"))
    def last_run_outcome(self, job):
        if not job.last_outcome:
            return "–"
        label = JobRun.Outcome(job.last_outcome).label
        return format_html(
            '<span class="job-{}" title="{}">{}</span>',
            job.last_outcome,
            (job.last_summary or "")[:300],
            label,
        )

    @admin.display(description=_("run now"))
    def run_now(self, job):
        url = reverse("admin:django_celery_beat_periodictask_run", args=[job.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Run now"))

    @admin.action(description=_("Enable selected tasks"), permissions=["change"])
    def enable_tasks(self, request, queryset):
        return super().enable_tasks(request, queryset)

    @admin.action(description=_("Disable selected tasks"), permissions=["change"])
    def disable_tasks(self, request, queryset):
        return super().disable_tasks(request, queryset)

    @admin.action(
        description=_("Toggle activity of selected tasks"), permissions=["change"]
    )
    def toggle_tasks(self, request, queryset):
        return super().toggle_tasks(request, queryset)

    @admin.action(description=_("Run selected tasks"), permissions=["change"])
    def run_tasks(self, request, queryset):
        return super().run_tasks(request, queryset)

    def get_urls(self):
        run = path(
            "<int:job_id>/run/",
            self.admin_site.admin_view(self.run_view),
            name="django_celery_beat_periodictask_run",
        )
        return [run, *super().get_urls()]

    def run_view(self, request, job_id: int):
        """Confirm, then send the job's task now (POST only does anything)."""
        job = get_object_or_404(PeriodicTask, pk=job_id)
        if not self.has_change_permission(request, job):
            raise PermissionDenied
        changelist = reverse("admin:django_celery_beat_periodictask_changelist")
        if request.method == "POST":
            try:
                task_id = job_run_now(periodic_task=job)
            except JobNotFound:
                self.message_user(
                    request,
                    _("No task called %(task)s is registered.") % {"task": job.task},
                    messages.ERROR,
                )
            except Exception as error:  # broker down, or the job failed eagerly
                self.message_user(
                    request,
                    _("%(job)s could not be run: %(error)s")
                    % {"job": job.name, "error": error},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(job)s was sent to the workers (task %(id)s).")
                    % {"job": job.name, "id": task_id},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(changelist)
        return TemplateResponse(
            request,
            "admin/django_celery_beat/periodictask/run_now.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Run %(job)s now?") % {"job": job.name},
                "job": job,
                "opts": self.opts,
                "changelist": changelist,
            },
        )


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Every recorded run of a scheduled job, newest first."""

    list_display = [
        "periodic_task_name",
        "task_name",
        "started_at",
        "finished_at",
        "outcome",
    ]
    list_filter = ["outcome", "periodic_task_name"]
    readonly_fields = [
        "periodic_task_name",
        "task_name",
        "task_id",
        "started_at",
        "finished_at",
        "outcome",
        "summary",
    ]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# end admin


@admin.register(SecurityEvent)
class SecurityEventAdmin(ExportMixin, admin.ModelAdmin):
    """The security log, read-only and exportable: rows are appended, never
    edited or deleted (not even by a superuser)."""

    list_display = ["created_at", "kind", "email", "ip_address"]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=email", "=ip_address"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "kind", "user", "email", "ip_address", "detail"]
    fields = readonly_fields
    show_full_result_count = False
    export_fields = [
        (_("at"), "created_at"),
        (_("event"), "kind"),
        (_("e-mail address"), "email"),
        (_("IP address"), "ip_address"),
        (_("detail"), "detail"),
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# allauth's e-mail addresses: its "mark verified" action, with the permission
# it needs stated (allauth leaves it open to anyone who can see the list).
if admin.site.is_registered(EmailAddress):
    admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class VerifiedEmailAddressAdmin(account_admin.EmailAddressAdmin):
    actions = ["make_verified"]

    @admin.action(
        description=_("Mark selected email addresses as verified"),
        permissions=["change"],
    )
    def make_verified(self, request, queryset):
        return super().make_verified(request, queryset)
