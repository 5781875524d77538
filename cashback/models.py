"""Models of the shared kernel."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """An e-mail written in the same transaction as the change that causes it.

    A task delivers it after commit; a periodic relay delivers whatever is still
    pending (broker down, process died between commit and enqueue). The unique
    dedup key makes a second write of the same notice a no-op, and the row lock
    taken while sending makes two deliverers send it once.
    """

    dedup_key = models.CharField(_("de-duplication key"), max_length=200, unique=True)
    recipients = models.JSONField(_("recipients"))
    subject = models.CharField(_("subject"), max_length=255)
    text_body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Files read at delivery, never copied into the row: a list of
    # {"storage": alias, "name": path in it, "filename": shown, "mimetype": ...}.
    # A database default: outbox_emails_store_many inserts without this column.
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        db_default=models.Value([], output_field=models.JSONField()),
    )

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.recipients)}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class JobRun(models.Model):
    """One run of a scheduled job (a django-celery-beat entry), and how it ended.

    Written by the Celery signal handlers in cashback.jobs for tasks sent by beat
    or by the admin's "run now", which both carry the entry's name in the
    `periodic_task_name` header; operators read the last one beside each
    schedule. Ordinary tasks (e-mails, validations) are not recorded.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    periodic_task_name = models.CharField(_("job"), max_length=200)
    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=255, unique=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.RUNNING
    )
    summary = models.TextField(_("result or error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(
                fields=["periodic_task_name", "-started_at"], name="jobrun_last_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.periodic_task_name} @ {self.started_at:%Y-%m-%d %H:%M}"


class StateChangeEvent(models.Model):
    """One step of a timeline: who moved what from which state to which, and why.

    Claims and payouts each keep their own event table (with their own kinds
    and foreign key); the shared columns live here.
    """

    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


class SecurityEvent(models.Model):
    """One security-relevant event: a log-in, a second factor, a download, a
    change of someone's permissions.

    Append-only: a row is written once and never changed or deleted, here or
    in admin, so the log can be trusted as a record of what happened. It keeps
    the e-mail address as it was, so it still reads after a user is removed.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Log-in failed")
        LOGOUT = "logout", _("Logged out")
        MFA_ADDED = "mfa_added", _("Second factor set up")
        MFA_REMOVED = "mfa_removed", _("Second factor removed")
        MFA_USED = "mfa_used", _("Second factor used")
        MFA_FAILED = "mfa_failed", _("Second factor refused")
        MFA_ENROLMENT_SENT = "mfa_enrolment_sent", _("Enrolment link sent")
        REAUTHENTICATED = "reauthenticated", _("Re-authenticated")
        EMAIL_CHANGED = "email_changed", _("E-mail address changed")
        EMAIL_ADDED = "email_added", _("E-mail address added")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        INVOICE_DOWNLOADED = "invoice_downloaded", _("Invoice copy downloaded")
        PAYMENT_FILE_DOWNLOADED = (
            "payment_file_downloaded",
            _("Payment file downloaded"),
        )
        DATA_EXPORT_DOWNLOADED = (
            "data_export_downloaded",
            _("Copy of personal data downloaded"),
        )
        ACCOUNT_CLOSED = "account_closed", _("Account closed")
        PERMISSIONS_CHANGED = "permissions_changed", _("Permissions changed")
        GROUPS_CHANGED = "groups_changed", _("Groups changed")
        COMPANY_ADMIN_ADDED = "company_admin_added", _("Company admin added")
        COMPANY_ADMIN_REMOVED = "company_admin_removed", _("Company admin removed")
        COMPANY_ADMIN_DEMOTED = "company_admin_demoted", _("Company admin demoted")
        COMPANY_ADMIN_RESTORED = "company_admin_restored", _("Company admin restored")
        # Issue 27: the rest of what changes who may do what, or where money goes.
        PASSWORD_RESET = "password_reset", _("Password reset")
        PASSWORD_SET = "password_set", _("Password set")
        EMAIL_REMOVED = "email_removed", _("E-mail address removed")
        MICROSOFT_CONNECTED = "microsoft_connected", _("Microsoft account connected")
        MICROSOFT_DISCONNECTED = (
            "microsoft_disconnected",
            _("Microsoft account disconnected"),
        )
        STAFF_FLAGS_CHANGED = (
            "staff_flags_changed",
            _("Staff or superuser flag changed"),
        )
        EXPORTED = "exported", _("List exported")
        BANK_FILE_UPLOADED = "bank_file_uploaded", _("Bank file uploaded")
        BANK_FILE_CONFIRMED = "bank_file_confirmed", _("Bank file confirmed")

    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    email = models.CharField(_("e-mail address"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="securityevent_kind_idx")
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.email} @ {self.created_at:%Y-%m-%d %H:%M}"
        )

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Security events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Security events are append-only.")
