"""Schedule the sweep that validates claims whose validation task was lost."""

from django.db import migrations

TASK = "claims.validate_pending"
NAME = "Validate claims whose validation was lost"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes, _ = IntervalSchedule.objects.get_or_create(
        every=5, period="minutes"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": TASK, "interval": every_five_minutes, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("cashback", "0003_jobrun")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
