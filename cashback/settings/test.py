"""Settings for the test suite: the database and Redis come from the environment."""

import os

from .base import *  # noqa: F403
from .base import REDIS_URL, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run tasks in-process unless a test sends one to a real worker on purpose.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# e2e2: a test's worker sends the tasks it starts to its own queue, which only it
# consumes (tests/services.CeleryWorker sets this), not to the shared default one.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="cashback")
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405  (each test gets its own)
if REDIS_URL:
    # Each test process has its own key prefix: parallel processes (and the
    # Celery queues in the same Redis) never see each other's keys.
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
TEMPLATES[0]["DIRS"].append(BASE_DIR / "tests" / "templates")  # noqa: F405
# Tests of other rules pay a new account at once; the hold tests
# (tests/payouts/test_holds.py, the state machine) set the real period.
BANK_ACCOUNT_COOLING_OFF_DAYS = 0
