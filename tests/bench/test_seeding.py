"""The benchmark seeds the demo under its production settings (issue 33:
`make bench` stopped at seeding once seed_demo refused production)."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from bench.seeding import demo_reseller, demo_seed

pytestmark = pytest.mark.django_db


def test_the_benchmark_seeds_the_demo_under_production_settings(settings):
    """seed_demo itself still refuses; the benchmark's seeding lifts the
    refusal for its own call only."""
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refuses"):
        call_command("seed_demo", stdout=io.StringIO())

    demo_seed()

    reseller, user = demo_reseller()
    assert user.email == "anna@nordlicens.se"
    assert reseller.pk == user.reseller_id
    assert django_settings.IS_PRODUCTION is True
