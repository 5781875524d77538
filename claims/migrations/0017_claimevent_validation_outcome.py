"""A validation event keeps its outcome as a code (issue 28): it was stored as
words in whatever language the run had. Existing events whose message starts
with an outcome's words, in English or Swedish, get the code and keep only the
note after it; any other message is left as written."""

from django.db import migrations, models

# The outcomes' words as validation wrote them (Claim.ValidationOutcome).
OUTCOME_WORDS = {
    "pending": ["Not yet validated", "Inte kontrollerat ännu"],
    "pass": ["All checks pass", "Alla kontroller godkända"],
    "unknown": ["Some checks unknown", "Vissa kontroller okända"],
    "fail": ["Some checks fail", "Vissa kontroller underkända"],
}


def outcome_of(message: str) -> tuple[str, str]:
    """(outcome code, the note after its words), or ("", message)."""
    for code, words in OUTCOME_WORDS.items():
        for word in words:
            if message == word or message.startswith(word + " "):
                return code, message[len(word) :].strip()
    return "", message


def words_to_codes(apps, schema_editor):
    ClaimEvent = apps.get_model("claims", "ClaimEvent")
    events = ClaimEvent.objects.filter(kind="validated", validation_outcome="")
    changed = []
    for event in events.only("pk", "message").iterator(chunk_size=2000):
        code, note = outcome_of(event.message)
        if code:
            event.validation_outcome, event.message = code, note
            changed.append(event)
        if len(changed) >= 2000:
            ClaimEvent.objects.bulk_update(changed, ["validation_outcome", "message"])
            changed = []
    ClaimEvent.objects.bulk_update(changed, ["validation_outcome", "message"])


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0016_field_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="claimevent",
            name="validation_outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("pending", "Not yet validated"),
                    ("pass", "All checks pass"),
                    ("unknown", "Some checks unknown"),
                    ("fail", "Some checks fail"),
                ],
                db_default="",
                max_length=10,
                verbose_name="validation",
            ),
        ),
        migrations.RunPython(words_to_codes, migrations.RunPython.noop),
    ]
