"""WSGI entry point for gunicorn."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cashback.settings.production")

try:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
except ImproperlyConfigured as error:
    # One line for the operator instead of a traceback per worker.
    sys.stderr.write(f"Configuration error: {error}\n")
    sys.exit(4)

from cashback.health import warn_if_services_unreachable

warn_if_services_unreachable()
