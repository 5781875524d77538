"""Outbox e-mail: written with the change, delivered after commit, at least once."""

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.files.storage import storages
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape

from .models import OutboxMessage
from .tasks_util import enqueue_after_commit

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20


def outbox_email_render(
    *, template: str, context: dict[str, Any], language: str
) -> tuple[str, str, str]:
    """Subject, text and HTML of `template` in `language`.

    The templates are `<template>_subject.txt`, `<template>.txt` and
    `<template>.html`.
    """
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text_body = render_to_string(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    return " ".join(subject.split()), text_body, html_body


def outbox_email_store(
    *,
    dedup_key: str,
    recipients: Sequence[str],
    subject: str,
    text_body: str,
    html_body: str,
    attachments: Sequence[dict[str, str]] = (),
) -> OutboxMessage:
    """Store a rendered e-mail for delivery after commit.

    Lets a service render before its transaction opens, so that the
    transaction holds its row locks only for the writes.
    Calling this twice with one key stores one message. `attachments` name
    stored files (`OutboxMessage.attachments`), read when the mail goes out.
    """
    message, created = OutboxMessage.objects.get_or_create(
        dedup_key=dedup_key,
        defaults={
            "recipients": list(recipients),
            "subject": subject,
            "text_body": text_body,
            "html_body": html_body,
            "attachments": list(attachments),
        },
    )
    if created:
        from .tasks import outbox_deliver

        enqueue_after_commit(outbox_deliver, message.pk)
    return message


def outbox_email_enqueue(
    *,
    dedup_key: str,
    recipients: Sequence[str],
    template: str,
    context: dict[str, Any],
    language: str,
    attachments: Sequence[dict[str, str]] = (),
) -> OutboxMessage:
    """Render `template` in `language` and store it for delivery after commit.

    The templates are `<template>_subject.txt`, `<template>.txt` and
    `<template>.html`. Calling this twice with one key stores one message.
    """
    subject, text_body, html_body = outbox_email_render(
        template=template, context=context, language=language
    )
    return outbox_email_store(
        dedup_key=dedup_key,
        recipients=recipients,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        attachments=attachments,
    )


def outbox_message_deliver(*, message_id: int) -> bool:
    """Send one pending message; returns whether this call sent it.

    The row stays locked while the mail goes out, so a second deliverer skips it
    instead of sending it again.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.text_body, to=message.recipients
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        message.attempts += 1
        try:
            for attachment in message.attachments:
                with storages[attachment["storage"]].open(attachment["name"]) as f:
                    email.attach(
                        attachment["filename"], f.read(), attachment["mimetype"]
                    )
            email.send()
        except Exception as error:
            message.last_error = f"{error.__class__.__name__}: {error}"[:2000]
            message.save(update_fields=["attempts", "last_error"])
            logger.warning("Outbox message %s not sent: %s", message.pk, error)
            return False
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "sent_at", "last_error"])
    return True


def outbox_relay(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Deliver what is still pending; returns how many messages went out."""
    cutoff = timezone.now() - older_than
    pending_ids = list(
        OutboxMessage.objects.filter(
            sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    return sum(outbox_message_deliver(message_id=pk) for pk in pending_ids)


def _render_cached(item: dict[str, Any], rendered: dict) -> tuple[str, str, str]:
    """The three parts of one item, rendered once per template, language and
    non-verbatim context (bench, issue 9: rendering was most of the sweep).

    `item["verbatim"]` names context keys whose values are plain strings that
    the templates print as they are (no filter): those are rendered as unique
    markers and replaced afterwards, HTML-escaped in the HTML part as the
    template engine would have done.
    """
    context = item["context"]
    verbatim = {key: str(context[key]) for key in item.get("verbatim", ())}
    rest = tuple(
        sorted(
            (key, repr(value)) for key, value in context.items() if key not in verbatim
        )
    )
    cache_key = (item["template"], item["language"], rest)
    if cache_key not in rendered:
        markers = {key: f"OUTBOXMARKER{n}X" for n, key in enumerate(verbatim)}
        template = item["template"]
        with translation.override(item["language"]):
            sample = {**context, **markers}
            rendered[cache_key] = (
                render_to_string(f"{template}_subject.txt", sample),
                render_to_string(f"{template}.txt", sample),
                render_to_string(f"{template}.html", sample),
            )
        rendered[cache_key] += (markers,)
    subject, text_body, html_body, markers = rendered[cache_key]
    for key, marker in markers.items():
        subject = subject.replace(marker, verbatim[key])
        text_body = text_body.replace(marker, verbatim[key])
        html_body = html_body.replace(marker, escape(verbatim[key]))
    return subject, text_body, html_body


def outbox_emails_enqueue_many(messages: Sequence[dict[str, Any]]) -> int:
    """Store many e-mails in one INSERT (for set-based jobs); returns how many
    were new.

    Each item has the arguments of `outbox_email_enqueue`. Keys already stored
    are skipped, as there (their delivery is already on its way or the
    relay's). An item may name `verbatim` context keys (see `_render_cached`)
    so that items differing only in those render once. Added for the payouts
    reminder sweep, whose query count must not grow with the size of a batch:
    one statement stores the rows and returns the ids of the new ones (bench,
    issue 9: building model instances and then selecting the ids back cost
    more than the insert, and the select slowed as the table grew).
    """
    rendered: dict[tuple, tuple] = {}
    stored = []
    for item in messages:
        subject, text_body, html_body = _render_cached(item, rendered)
        stored.append(
            {
                "dedup_key": item["dedup_key"],
                "recipients": item["recipients"],
                "subject": subject,
                "text_body": text_body,
                "html_body": html_body,
            }
        )
    return outbox_emails_store_many(stored)


def outbox_emails_store_many(messages: Sequence[dict[str, Any]]) -> int:
    """Store rendered e-mails (each with the arguments of `outbox_email_store`)
    in one INSERT for delivery after commit; returns how many were new. Keys
    already stored are skipped. A claim's filing stores its e-mails this way:
    one statement instead of a select, a savepoint and an insert for each."""
    rows: list[str] = []
    params: list[Any] = []
    # The field's own adaptation of a moment and of a JSON value, so the
    # statement reads the same on PostgreSQL and SQLite.
    created_at = OutboxMessage._meta.get_field("created_at").get_db_prep_save(
        timezone.now(), connection
    )
    recipients_field = OutboxMessage._meta.get_field("recipients")
    for item in messages:
        rows.append("(%s, %s, %s, %s, %s, %s, 0, '')")
        params += [
            item["dedup_key"],
            recipients_field.get_db_prep_save(list(item["recipients"]), connection),
            " ".join(item["subject"].split()),
            item["text_body"],
            item["html_body"],
            created_at,
        ]
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(OutboxMessage._meta.db_table)
    columns = ", ".join(
        quote(OutboxMessage._meta.get_field(name).column)
        for name in (
            "dedup_key",
            "recipients",
            "subject",
            "text_body",
            "html_body",
            "created_at",
            "attempts",
            "last_error",
        )
    )
    # Names from the model; every value is a parameter.
    statement = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({quote('dedup_key')}) DO NOTHING "
        f"RETURNING {quote(OutboxMessage._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        new = [pk for (pk,) in cursor.fetchall()]
    from .tasks import outbox_deliver_many

    # One task for the lot (bench, issue 9): a task per message cost as much
    # as the job's SQL; the relay still picks up anything the task misses.
    if new:
        enqueue_after_commit(outbox_deliver_many, new)
    return len(new)


def outbox_emails_store_with(
    *,
    row: tuple[str, Sequence[Any]],
    messages: Sequence[dict[str, Any]],
    also: Sequence[tuple[str, Sequence[Any]]] = (),
) -> int:
    """Insert one row (`row`: an `INSERT ... VALUES` of one row, without
    `RETURNING`, e.g. from `cashback.sql.insert_sql`), run the `also`
    inserts, and store `messages` as `outbox_emails_store_many` does, all in
    one statement (PostgreSQL only: a data-modifying `WITH`). Each message's
    `dedup_key` may name the new row's id as `{id}`. Returns that id.

    A filing writes its agreements, its event and the e-mails keyed by the
    event this way: one round trip instead of three (issue 33).
    """
    quote = connection.ops.quote_name
    table = quote(OutboxMessage._meta.db_table)
    created_at = OutboxMessage._meta.get_field("created_at").get_db_prep_save(
        timezone.now(), connection
    )
    recipients_field = OutboxMessage._meta.get_field("recipients")
    row_sql, params = row[0], list(row[1])
    parts = [f"written AS ({row_sql} RETURNING id)"]
    for number, (sql, also_params) in enumerate(also):
        parts.append(f"also_{number} AS ({sql})")
        params += list(also_params)
    values = []
    for item in messages:
        values.append("(%s, %s::jsonb, %s, %s, %s, %s::timestamptz)")
        params += [
            item["dedup_key"],
            recipients_field.get_db_prep_save(list(item["recipients"]), connection),
            " ".join(item["subject"].split()),
            item["text_body"],
            item["html_body"],
            created_at,
        ]
    if values:
        columns = ", ".join(
            quote(OutboxMessage._meta.get_field(name).column)
            for name in (
                "dedup_key",
                "recipients",
                "subject",
                "text_body",
                "html_body",
                "created_at",
                "attempts",
                "last_error",
            )
        )
        parts.append(
            f"stored AS (INSERT INTO {table} ({columns}) "  # noqa: S608  # nosec B608
            "SELECT replace(m.dedup_key, '{id}', written.id::text), m.recipients,"
            " m.subject, m.text_body, m.html_body, m.created_at, 0, ''"
            f" FROM written CROSS JOIN (VALUES {', '.join(values)})"
            " AS m (dedup_key, recipients, subject, text_body, html_body, created_at)"
            f" ON CONFLICT ({quote('dedup_key')}) DO NOTHING RETURNING id)"
        )
        result = "SELECT (SELECT id FROM written), ARRAY(SELECT id FROM stored)"
    else:
        result = "SELECT (SELECT id FROM written), ARRAY[]::bigint[]"
    # Names from the models; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {result}", params)
        written, new = cursor.fetchone()
    from .tasks import outbox_deliver_many

    if new:
        enqueue_after_commit(outbox_deliver_many, list(new))
    return written


# Sent messages whose text holds a link that signs someone in or proves an
# address: once delivered, a copy kept in the database is only a risk.
LINK_MESSAGE_KEY_PREFIXES = (
    "allauth:password_reset_key",
    "allauth:email_confirmation",
    "staff:mfa_enrolment",
)


def outbox_links_purge(*, older_than: timedelta) -> int:
    """Delete sent messages that held a sign-in or confirmation link and were
    sent more than `older_than` ago; returns how many. Unsent ones stay: the
    relay still has to deliver them."""
    query = Q()
    for prefix in LINK_MESSAGE_KEY_PREFIXES:
        query |= Q(dedup_key__startswith=prefix)
    deleted, _by_model = OutboxMessage.objects.filter(
        query, sent_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
