"""The "Program managers" group: offers, their criteria, terms and territories,
the e-mail domain rules and program memberships; nothing of claims decisions,
payouts or users. (The ledger import's permissions belong to the claims app
and are granted there, as the apps depend on offers, not the other way.)
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Program managers"
MODELS = {
    "offers": ["offer", "terms", "returnperiod", "product", "licencetype"],
    "resellers": ["emaildomainrule", "programmembership"],
}
EXTRA = [
    ("offers", "view_customersegment"),
    ("offers", "add_customersegment"),
    ("offers", "change_customersegment"),
    ("resellers", "view_reseller"),
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
    wanted = list(EXTRA)
    for app, models in MODELS.items():
        for model in models:
            # No delete: offers are archived and memberships end, never vanish.
            wanted += [
                (app, f"{action}_{model}") for action in ("view", "add", "change")
            ]
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in wanted
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0002_initial"),
        ("resellers", "0002_pending_membership_and_events"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
