"""The outbox: written with the change, delivered after commit, once."""

import pytest
from django.core import mail
from django.db import transaction

from cashback.models import OutboxMessage
from cashback.outbox import outbox_email_enqueue, outbox_message_deliver, outbox_relay

pytestmark = pytest.mark.django_db


def enqueue(key: str = "welcome:1", language: str = "en") -> OutboxMessage:
    return outbox_email_enqueue(
        dedup_key=key,
        recipients=["kim@reseller.example"],
        template="emails/test_message",
        context={"name": "Kim"},
        language=language,
    )


def test_a_message_is_delivered_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()
        assert mail.outbox == []  # nothing leaves before the commit
    message.refresh_from_db()
    assert message.is_sent
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@reseller.example"]
    assert mail.outbox[0].alternatives[0].mimetype == "text/html"


def test_the_same_key_is_stored_and_sent_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue()
        enqueue()
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the change failed")
    assert OutboxMessage.objects.count() == 0


def test_delivering_twice_sends_once(django_capture_on_commit_callbacks):
    message = enqueue()  # on_commit never ran: as if the broker was down
    assert outbox_message_deliver(message_id=message.pk) is True
    assert outbox_message_deliver(message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_the_relay_sends_what_was_never_enqueued(time_machine):
    time_machine.move_to("2026-03-01 10:00:00+00:00")
    enqueue("a")
    enqueue("b")
    time_machine.move_to("2026-03-01 10:05:00+00:00")
    assert outbox_relay() == 2
    assert outbox_relay() == 0
    assert len(mail.outbox) == 2


def test_the_message_is_rendered_in_the_recipients_language():
    message = enqueue(language="sv")
    assert message.subject == "Översikt Kim"
    assert "Vanliga frågor och svar, Kim" in message.text_body


def test_the_relay_is_scheduled_in_beat():
    """Operators find the relay in admin's periodic tasks, running every minute."""
    from importlib import import_module

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    # Run the migration's function again: a transactional test earlier in this
    # process may have flushed the rows the migrations wrote.
    migration = import_module("cashback.migrations.0002_outbox_relay_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # idempotent
    task = PeriodicTask.objects.get(task="cashback.outbox_relay")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize(
    "template", ["emails/payout_reminder", "emails/payout_forfeited"]
)
def test_many_messages_render_as_one_at_a_time(template, language):
    """Rendering a batch once per shared context and filling in the verbatim
    values gives exactly what rendering each message on its own gives, markup
    in a company name included (escaped in HTML, as is in text)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from cashback.outbox import outbox_emails_enqueue_many

    shared = {
        "amount": Decimal("12345.50"),
        "currency": "SEK",
        "list_link": "https://cashback.example.com/payouts/",
        "support_email": "support@example.com",
        "program_name": "Cash Back",
        "number": 2,
        "max_reminders": 3,
        "due_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    }
    companies = ["Nordlicens AB", 'Smith & <Sons> "Ltd"']
    items = [
        {
            "dedup_key": f"batch:{n}",
            "recipients": ["kim@reseller.example"],
            "template": template,
            "context": {
                **shared,
                "company": company,
                "reference": f"CB-{n}",
                "link": f"https://cashback.example.com/x/{n}:a&b=c/",
            },
            "language": language,
            "verbatim": ("company", "reference", "link"),
        }
        for n, company in enumerate(companies)
    ]
    outbox_emails_enqueue_many(items)
    for item in items:
        batch = OutboxMessage.objects.get(dedup_key=item["dedup_key"])
        single = outbox_email_enqueue(
            dedup_key=f"single:{item['dedup_key']}",
            recipients=item["recipients"],
            template=template,
            context=item["context"],
            language=language,
        )
        assert item["context"]["company"] in batch.text_body
        assert (batch.subject, batch.text_body, batch.html_body) == (
            single.subject,
            single.text_body,
            single.html_body,
        )
