"""Operators may read the bank entries not applied and upload a bank file
received by other means (admin, payouts/bank/admin.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATOR_PERMISSIONS = ["view_bankdiscrepancy"]


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now.
    app_config = apps.get_app_config("payouts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Operators")
    for codename in OPERATOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="payouts", codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [("payouts", "0010_bank_answers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
