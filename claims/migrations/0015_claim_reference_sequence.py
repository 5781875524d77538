"""Claim references from a PostgreSQL sequence (issue 20).

The per-year counter row was updated by every filing and stayed locked until
the filing committed, so all filings of the portal went one at a time. A
sequence hands out numbers without a lock; it starts after the highest number
any counter gave out. SQLite (make run) keeps the counter table.
"""

from django.db import migrations
from django.db.models import Max

SEQUENCE = "claims_claim_reference_seq"


def sequence_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    counter = apps.get_model("claims", "ClaimReferenceCounter")
    last = counter.objects.aggregate(last=Max("last_number"))["last"] or 0
    schema_editor.execute(
        f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {int(last) + 1}"
    )


def sequence_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0014_free_final_rejections_schedule")]

    operations = [migrations.RunPython(sequence_create, sequence_drop)]
