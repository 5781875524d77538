"""The release step (R27): run once per deployment, before any web node or worker.

Web nodes never migrate at start: two nodes migrating a fresh database at once
race on the same tables and one fails. This command is the one place that
migrates, under a PostgreSQL advisory lock so a second release started at the
same time waits for the first and then finds nothing left to do; then it
creates the cache table that the cache falls back to while Redis is down,
collects the static files and runs the deployment checks.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# pg_advisory_lock's key: any fixed 64-bit number no other code uses.
RELEASE_LOCK_KEY = 0x6361736862616B  # "cashbak"


class Command(BaseCommand):
    help = (
        "The release step: migrate (one release at a time), create the cache "
        "table, collect static files, run the deployment checks."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--fail-level",
            default="ERROR",
            choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
            help="The deployment check's message level that fails the release.",
        )
        parser.add_argument(
            "--skip-static",
            action="store_true",
            help="Do not collect static files (an image that collected them at "
            "build time).",
        )

    def handle(self, *args, fail_level: str, skip_static: bool, **options) -> None:
        verbosity = options["verbosity"]
        with release_lock():
            call_command("migrate", interactive=False, verbosity=verbosity)
            call_command("createcachetable", verbosity=verbosity)
        if not skip_static:
            call_command("collectstatic", interactive=False, verbosity=verbosity)
        call_command("check", deploy=True, fail_level=fail_level)
        self.stdout.write(self.style.SUCCESS("Release step done."))


@contextmanager
def release_lock() -> Iterator[None]:
    """Session-level advisory lock on PostgreSQL, waiting for a running release;
    nothing on SQLite, which only one machine uses."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [RELEASE_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RELEASE_LOCK_KEY])
