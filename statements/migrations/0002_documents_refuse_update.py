"""Issued documents never change (R25): PostgreSQL refuses an UPDATE of a
statement or a VAT document, whoever writes it. Deleting stays possible for
the retention job at the end of the seventh year (R26)."""

from django.db import migrations

TABLES = ["statements_paymentstatement", "statements_vatdocument"]

FUNCTION = """
CREATE OR REPLACE FUNCTION statements_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'An issued % cannot change: issue a correction.', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION statements_refuse_update()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS statements_refuse_update()")


class Migration(migrations.Migration):
    dependencies = [("statements", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
