"""Operators confirm the bank files another operator uploaded (issue 27, four
eyes); nobody else's group may (docs/security.md, the action table)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Operators"
GRANTS = [("payouts", "confirm_bank_file")]


def _permissions(apps):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in GRANTS
    ]


def grant(apps, schema_editor):
    group, _created = apps.get_model("auth", "Group").objects.get_or_create(
        name=GROUP
    )
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [("payouts", "0024_uploaded_bank_files_four_eyes")]

    operations = [migrations.RunPython(grant, revoke)]
