"""The Celery application, configured from Django settings (CELERY_ namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cashback.settings.local")

# Every task's base is JobTask: the scheduled jobs take their own lock.
app = Celery("cashback", task_cls="cashback.jobs:JobTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
