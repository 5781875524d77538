"""Periodic payout jobs in django-celery-beat (operators edit them in admin) and
the "Operators" group with exactly the permissions the payout work needs."""

import json

from django.contrib.auth.management import create_permissions
from django.db import migrations

TIME_ZONE = "Europe/Stockholm"

# (task name, beat entry name, crontab minute, hour)
SCHEDULES = [
    ("payouts.send_reminders", "Payouts: bank-details reminders", "15", "*"),
    ("payouts.schedule_payouts", "Payouts: schedule released payouts", "30", "5"),
    ("payouts.deadline_summary", "Payouts: daily deadline summary", "0", "7"),
]

OPERATOR_PERMISSIONS = {
    "payouts": {
        "payout": ["view", "change"],
        "paymentbatch": ["view", "add", "change"],
        "exchangerate": ["view", "add", "change", "delete"],
        "bankaccount": ["view"],
        "reminder": ["view"],
        "payoutevent": ["view"],
    },
    "django_celery_beat": {
        "periodictask": ["view", "change"],
        "crontabschedule": ["view", "add", "change"],
        "intervalschedule": ["view", "add", "change"],
    },
}


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task, name, minute, hour in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIME_ZONE,
        )
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": crontab,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
            },
        )

    # Permissions are normally created after all migrations; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Operators")
    for app_label, models in OPERATOR_PERMISSIONS.items():
        for model, actions in models.items():
            for action in actions:
                group.permissions.add(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        codename=f"{action}_{model}",
                    )
                )


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[1] for s in SCHEDULES]).delete()
    apps.get_model("auth", "Group").objects.filter(name="Operators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0003_bank_account_shared_flag"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
