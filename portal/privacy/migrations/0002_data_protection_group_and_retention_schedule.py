"""The "Data protection" group may close an account on a person's written
request (docs/security.md); the retention job runs every day."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Data protection"
GRANTS = [("privacy", "close_account"), ("privacy", "view_accountclosure"),
          ("privacy", "add_accountclosure"), ("privacy", "view_retentiondeletion")]
TASK = "privacy.retention"
NAME = "Delete personal data past its retention"


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


def forwards(apps, schema_editor):
    group, _created = apps.get_model("auth", "Group").objects.get_or_create(
        name=GROUP
    )
    group.permissions.add(*_permissions(apps))
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_day, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_day, "enabled": True}
    )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
