"""Load whatever part of the demo is missing; `--reset` starts it afresh."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.test.utils import override_settings
from django.urls import reverse

from cashback.security import mfa_enrolment_token, user_has_totp
from portal.demo import demo_seed
from resellers.demo import DEMO_PASSWORD

AFRESH = "make demo-reset (or manage.py seed_demo --reset)"


def local_demo_database() -> Path | None:
    """The default database's file when it is the local SQLite file under var/
    that `make run` creates; None for anything else (PostgreSQL, another file)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    path = Path(database["NAME"]).resolve()
    return path if path == (settings.VAR_DIR / "db.sqlite3").resolve() else None


class Command(BaseCommand):
    help = (
        "Create the demo users, companies, offers, claims and payouts that are "
        "missing (existing ones are never changed); print the log-ins."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the local SQLite database (var/db.sqlite3), migrate and "
            "load the demo afresh. Refused for any other database.",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            "--yes",
            action="store_false",
            dest="interactive",
            help="With --reset: do not ask for confirmation.",
        )

    def handle(self, *args, reset: bool = False, interactive: bool = True, **options):
        if settings.IS_PRODUCTION:
            # The demo's staff accounts share the password printed in the
            # README: they must never exist where real money moves.
            raise CommandError(
                "seed_demo refuses to run under production settings "
                f"({settings.SETTINGS_MODULE}): it creates staff accounts whose "
                "password is public. Nothing was changed."
            )
        if reset:
            self._reset(interactive=interactive)
        # The demo's own notices are marked sent without going anywhere: they
        # describe made-up history, not news for a real inbox.
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
            ),
            transaction.atomic(),
        ):
            seed = demo_seed()
        if seed.created:
            self.stdout.write(self.style.SUCCESS("Demo data is in place. Log in with:"))
        else:
            self.stdout.write(
                self.style.WARNING(
                    "The demo data was already there: kept it as it is, nothing "
                    f"created or changed. To start afresh: {AFRESH}. Log in with:"
                )
            )
        for email, role in seed.logins.items():
            self.stdout.write(f"  {role:<40} {email:<32} password: {DEMO_PASSWORD}")
        self.write_enrolment_links(seed.logins)

    def write_enrolment_links(self, logins: dict[str, str]) -> None:
        """Staff enrol an authenticator only through a link an administrator
        sends (cashback.staff_enrolment); here the one running the demo is the
        administrator, so the links are printed."""
        staff = [
            user
            for user in get_user_model().objects.filter(
                email__in=list(logins), is_staff=True
            )
            if not user_has_totp(user)
        ]
        if not staff:
            return
        self.stdout.write(
            "Staff: log in, then open this link once to set up two-factor "
            "authentication with an authenticator app:"
        )
        for user in staff:
            path = reverse("staff_mfa_enrol", args=[mfa_enrolment_token(user)])
            self.stdout.write(
                f"  {user.email:<32} {settings.PORTAL_URL.rstrip('/')}{path}"
            )

    def _reset(self, *, interactive: bool) -> None:
        path = local_demo_database()
        if path is None:
            database = settings.DATABASES["default"]
            raise CommandError(
                "--reset only deletes the local demo database "
                f"{settings.VAR_DIR / 'db.sqlite3'}; the default database is "
                f"{database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']!s}. "
                "Nothing was changed. Unset DATABASE_URL to use the local file."
            )
        if interactive:
            answer = input(
                f"This deletes {path} with everything in it and loads the demo "
                "afresh. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Reset cancelled; nothing was changed.")
        connections["default"].close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.stdout.write(f"Deleted {path}; migrating a new one.")
        call_command("migrate", interactive=False, verbosity=0)
