"""The "Reviewers" group with exactly what reviewing needs: read the queue, the
ledger, invoice copies and duplicate attempts, and act through the review
actions. No add, change or delete: states and amounts change only by services.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Reviewers"
PERMISSIONS = [
    ("claims", "view_claim"),
    ("claims", "review_claim"),
    ("claims", "view_claimevent"),
    ("claims", "view_openagreement"),
    ("claims", "view_invoicedocument"),
    ("claims", "view_duplicateattempt"),
    ("offers", "view_offer"),
    ("offers", "view_terms"),
    ("resellers", "view_reseller"),
    ("resellers", "view_programmembership"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they
    # exist now (a fresh database runs this before post_migrate).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    permissions = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in PERMISSIONS
    ]
    group.permissions.set(permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_claim_review_permission"),
        ("offers", "0002_initial"),
        ("resellers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
