"""'Your data' (GDPR Art. 15): a ZIP of JSON plus a readable HTML summary of
everything the register lists about a person, built by a task, kept in the
private storage and shown only to that person for PRIVACY_EXPORT_VALID_DAYS."""

import io
import json
import secrets
import zipfile
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cashback.outbox import outbox_email_enqueue
from cashback.tasks_util import enqueue_after_commit

from .collect import entry_rows
from .models import DataExport
from .register import BASIS_WORDS, REGISTER, RETENTION_WORDS, PersonalData

# A request still pending after this long lost its task: asking again re-sends it.
STALE_PENDING = timedelta(minutes=10)


def _plain(value: Any) -> Any:
    """A value as JSON reads it (dates ISO 8601, decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def entry_export(entry: PersonalData, user) -> list[dict[str, Any]]:
    """The person's rows of one kind, only the register's fields."""
    rows = entry_rows(entry, user)
    if isinstance(rows, list):  # sessions: model objects
        return [
            {field: _plain(getattr(row, field)) for field in entry.fields}
            for row in rows
        ]
    return [_plain(row) for row in rows.values(*entry.fields)]


def person_data(user) -> dict[str, dict[str, Any]]:
    """Everything held about `user`, kind by kind as the register lists it."""
    return {
        entry.kind: {
            "label": str(entry.label),
            "purpose": str(entry.purpose),
            "legal_basis": str(BASIS_WORDS[entry.basis]),
            "retention": str(RETENTION_WORDS[entry.retention]),
            "where": entry.where,
            "rows": entry_export(entry, user),
        }
        for entry in REGISTER
    }


def data_export_request(*, user, language: str) -> DataExport:
    """Ask for a copy of one's data; the task builds it and e-mails the link.
    A request still being prepared is returned instead of a second one."""
    with transaction.atomic():
        pending = (
            DataExport.objects.select_for_update()
            .filter(user=user, status=DataExport.Status.PENDING)
            .first()
        )
        if pending is not None:
            if pending.requested_at < timezone.now() - STALE_PENDING:
                _enqueue(pending)
            return pending
        export = DataExport.objects.create(
            user=user, token=secrets.token_hex(32), language=language
        )
        _enqueue(export)
        return export


def _enqueue(export: DataExport) -> None:
    from .tasks import data_export_build_task

    enqueue_after_commit(data_export_build_task, export.pk)


def data_export_build(*, export_id: int) -> DataExport:
    """Build the ZIP of one request, store it privately, e-mail the link."""
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update()
            .select_related("user")
            .get(pk=export_id)
        )
        if export.status != DataExport.Status.PENDING:
            return export  # built already: a second delivery of the task
        user = export.user
        now = timezone.now()
        with translation.override(export.language):
            data = person_data(user)
            summary = render_to_string(
                "privacy/export_summary.html",
                {"person": user, "data": data, "generated_at": now},
            )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "data.json",
                json.dumps(
                    {"generated_at": now.isoformat(), "kinds": data},
                    ensure_ascii=False,
                    indent=2,
                ),
            )
            archive.writestr("summary.html", summary)
        export.file.save(
            f"{export.token}.zip", ContentFile(buffer.getvalue()), save=False
        )
        export.status = DataExport.Status.READY
        export.ready_at = now
        export.expires_at = now + timedelta(days=settings.PRIVACY_EXPORT_VALID_DAYS)
        export.save(update_fields=["file", "status", "ready_at", "expires_at"])
        outbox_email_enqueue(
            dedup_key=f"privacy-export-ready:{export.pk}",
            recipients=[user.email],
            template="emails/privacy_export_ready",
            context={
                "url": settings.PORTAL_URL.rstrip("/")
                + reverse("privacy:export_download", args=[export.token]),
                "expires_at": export.expires_at,
            },
            language=export.language,
        )
        return export


def data_export_for(*, user, token: str) -> DataExport | None:
    """The person's own export by its token, while it may be downloaded;
    anyone else's, or an expired one, is None (a 404)."""
    export = DataExport.objects.filter(user=user, token=token).first()
    if export is None or not export.is_downloadable:
        return None
    return export
