"""Fixtures for the claims tests: private files in a temporary folder, the
program date inside the factories' claim window."""

import pytest

from tests.claims.factories import OpenAgreementFactory
from tests.offers.factories import OfferFactory
from tests.resellers.factories import (
    ResellerFactory,
    ReviewerFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def in_window(time_machine):
    """26 November 2026, inside OfferFactory's claim window."""
    time_machine.move_to("2026-11-26 10:00:00+01:00", tick=False)


@pytest.fixture
def reseller(db):
    return ResellerFactory(legal_name="Nordlicens AB", org_number="5567037485")


@pytest.fixture
def user(reseller):
    return UserFactory(reseller=reseller)


@pytest.fixture
def reviewer(db):
    return ReviewerFactory()


@pytest.fixture
def offer(db):
    return OfferFactory()


@pytest.fixture
def sale(reseller):
    """A ledger row the reseller sold, eligible for OfferFactory's offers."""
    return OpenAgreementFactory(
        reseller_org_number=reseller.org_number, reseller_name=reseller.legal_name
    )
