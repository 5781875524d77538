"""Load the demo data of every app, in dependency order; safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

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
        logins: list[tuple[str, str]] = []
        with transaction.atomic():
            for seed in APP_SEEDERS:
                logins += seed()
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Log in with:"))
        for role, email in logins:
            self.stdout.write(f"  {role:<40} {email:<32} password: {DEMO_PASSWORD}")
