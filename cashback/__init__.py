"""The Cash Back portal project package and its shared kernel."""

from .celery import app as celery_app

__all__ = ["celery_app"]
