"""The factories build valid rows that satisfy every database constraint."""

import pytest

from tests.payouts.factories import PayoutFactory

pytestmark = pytest.mark.django_db


def test_a_payout_builds_its_whole_chain():
    payout = PayoutFactory()
    claim = payout.claim
    assert claim.reseller == payout.reseller
    assert claim.submitted_by.reseller == claim.reseller
    assert claim.terms.offer == claim.offer
    assert claim.submitted_by.emailaddress_set.get().verified
