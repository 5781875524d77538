"""Program managers import the Open agreement ledger (DESIGN.md: who uses it).

The group is created by offers; its ledger permissions live here because the
claims app owns the ledger and apps depend on offers, not the other way.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Program managers"
WANTED = [
    "view_openagreement",
    "view_agreementimport",
    "add_agreementimport",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="claims", codename__in=WANTED)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="claims", codename__in=WANTED
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0008_claim_created_index"),
        ("offers", "0003_program_managers_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
