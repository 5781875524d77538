"""The reviewers' queue in admin: read-only, actions through the services."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from claims.models import Claim
from tests.claims.factories import ClaimFactory, OpenAgreementFactory
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:claims_claim_changelist")


@pytest.fixture
def reviewer_client(client, reviewer):
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    return client


def act(client, action, claims, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [c.pk for c in claims], **extra},
    )


def test_the_reviewers_group_has_exactly_its_permissions():
    """View and review; nothing to add, change or delete."""
    codenames = set(
        Group.objects.get(name="Reviewers").permissions.values_list(
            "codename", flat=True
        )
    )
    assert "review_claim" in codenames and "view_claim" in codenames
    assert not {c for c in codenames if c.split("_")[0] in {"add", "change", "delete"}}


def test_the_queue_lists_oldest_first_and_searches(reviewer_client):
    newer = ClaimFactory()
    older = ClaimFactory(agreement_numbers=["87654321"])
    Claim.objects.filter(pk=older.pk).update(
        created_at=newer.created_at.replace(year=2025)
    )
    response = reviewer_client.get(CHANGELIST)
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert listed == [older, newer]
    found = reviewer_client.get(CHANGELIST, {"q": "87654321"}).context["cl"].result_list
    assert list(found) == [older]
    for filters in ({"status": "submitted"}, {"age": "older"}, {"country": "SE"}):
        assert reviewer_client.get(CHANGELIST, filters).status_code == 200


def test_approve_action_calls_the_service(reviewer_client):
    claims = ClaimFactory.create_batch(2)
    act(reviewer_client, "approve", claims)
    assert set(Claim.objects.values_list("status", flat=True)) == {"approved"}


def test_a_disallowed_transition_gives_a_message_and_changes_nothing(
    reviewer_client,
):
    withdrawn = ClaimFactory(status=Claim.Status.WITHDRAWN)
    open_claim = ClaimFactory()
    response = act(reviewer_client, "approve", [withdrawn, open_claim])
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(withdrawn.reference in m and "cannot be approved" in m for m in messages)
    withdrawn.refresh_from_db()
    open_claim.refresh_from_db()
    assert (withdrawn.status, open_claim.status) == ("withdrawn", "approved")


def test_reject_goes_through_a_form_with_a_reason(reviewer_client):
    claim = ClaimFactory()
    page = act(reviewer_client, "reject", [claim])
    assert page.status_code == 200 and "reason" in page.context["form"].fields
    assert Claim.objects.get().status == "submitted"
    act(
        reviewer_client,
        "reject",
        [claim],
        confirm="yes",
        reason="outside_sale_period",
        details="Sold in June.",
    )
    claim.refresh_from_db()
    assert claim.status == "rejected"
    assert claim.decision_reason_code == "outside_sale_period"
    assert claim.decision_reason == "Sold in June."
    assert (
        claim.decision_reason_in_words
        == "The sale is outside the sale period. Sold in June."
    )


def test_request_invoice_from_the_claim_page(reviewer_client):
    claim = ClaimFactory()
    url = reverse("admin:claims_claim_act", args=[claim.pk])
    reviewer_client.post(
        url, {"action": "request_invoice", "confirm": "yes", "message": "Invoice?"}
    )
    claim.refresh_from_db()
    assert claim.status == "info_requested"
    assert claim.events.last().message == "Invoice?"


def test_change_page_shows_ledger_side_by_side(reviewer_client):
    row = OpenAgreementFactory(reseller_name="Ledger Name AB")
    claim = ClaimFactory(agreement_numbers=[row.agreement_number, "11111111"])
    reviewer_client.post(
        reverse("admin:claims_claim_act", args=[claim.pk]), {"action": "revalidate"}
    )
    page = reviewer_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    html = page.content.decode()
    assert "Ledger Name AB" in html and "not in the ledger" in html
    assert 'name="reward_amount"' not in html  # read-only


def test_staff_without_the_review_permission_cannot_act(client):
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_claim"))
    client.force_login(staff)
    claim = ClaimFactory()
    act(client, "approve", [claim])
    client.post(
        reverse("admin:claims_claim_act", args=[claim.pk]), {"action": "approve"}
    )
    assert Claim.objects.get().status == "submitted"


@pytest.mark.postgres
def test_a_long_queue_takes_the_planners_estimate_instead_of_counting(
    reviewer_client, monkeypatch
):
    """Above the threshold the queue's total is PostgreSQL's estimate (an
    EXPLAIN), not a COUNT over every claim; the page still lists the claims."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.admin import EstimatedCountPaginator

    claims = ClaimFactory.create_batch(3)
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 0)
    with CaptureQueriesContext(connection) as queries:
        response = reviewer_client.get(CHANGELIST)
    assert response.status_code == 200
    assert all(claim.reference in response.text for claim in claims)
    statements = [q["sql"] for q in queries.captured_queries]
    assert any(s.startswith("EXPLAIN") for s in statements)
    assert not any("COUNT(*)" in s for s in statements)
