"""Load the demo data of every app, in dependency order; safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from claims import demo as claims_demo
from offers import demo as offers_demo
from payouts import demo as payouts_demo
from resellers import demo as resellers_demo
from resellers.demo import DEMO_PASSWORD

APP_SEEDERS = [
    resellers_demo.seed,
    offers_demo.seed,
    claims_demo.seed,
    payouts_demo.seed,
]


class Command(BaseCommand):
    help = "Create the demo users, companies and offers (idempotent); print log-ins."

    def handle(self, *args, **options) -> None:
        logins: dict[str, str] = {}
        # The demo's own notices are marked sent without going anywhere: they
        # describe made-up history, not news for a real inbox.
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
            ),
            transaction.atomic(),
        ):
            for seed in APP_SEEDERS:
                for role, email in seed():
                    logins.setdefault(email, role)
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Log in with:"))
        for email, role in logins.items():
            self.stdout.write(f"  {role:<40} {email:<32} password: {DEMO_PASSWORD}")
        self.stdout.write(
            "Staff set up two-factor authentication (an authenticator app) the first "
            "time they open /admin/."
        )
