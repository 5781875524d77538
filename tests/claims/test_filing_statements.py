"""The filing's statement budget (issue 33): the claim form and its POST, as
the benchmark's deadline burst files (GET for the token and the terms
version, then POST), run a fixed, small number of SQL statements."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cashback.models import OutboxMessage
from claims.models import Claim, ClaimEvent
from tests.offers.factories import TermsFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_window")]

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def _where(queries) -> str:
    return "\n".join(
        f"{n:2d} {q['sql'][:160]}" for n, q in enumerate(queries.captured_queries, 1)
    )


def test_form_and_post_of_a_filing_count_their_statements(signed_in, offer, sale):
    """GET the form, POST what it carries: the statements of both, printed
    with where they go, and the total held to the budget."""
    url = reverse("claims:file", args=[offer.slug])
    signed_in.get(url)  # the session's first request writes it; a burst's does not
    with CaptureQueriesContext(connection) as form:
        page = signed_in.get(url).content.decode()
    hidden = dict(HIDDEN.findall(page))
    hidden.pop("csrfmiddlewaretoken", None)
    with CaptureQueriesContext(connection) as post:
        response = signed_in.post(
            url,
            {
                **hidden,
                "agreement_numbers": sale.agreement_number,
                "accepted_terms": "on",
            },
        )
    assert response.status_code == 302
    claim = Claim.objects.get()
    event = ClaimEvent.objects.get(claim=claim)
    assert event.kind == ClaimEvent.Kind.FILED
    assert list(claim.agreements.values_list("agreement_number", flat=True)) == [
        sale.agreement_number
    ]
    assert list(OutboxMessage.objects.values_list("dedup_key", flat=True)) == [
        f"claim-event:{event.pk}:en"
    ]
    print(f"GET {len(form)}:\n{_where(form)}\nPOST {len(post)}:\n{_where(post)}")
    # GET: session, user, the offer with its terms, the company's claim on it
    # and memberships. POST: the same three (and the reference's number), the
    # e-mail's recipients, then in the transaction (a savepoint in a test)
    # the claim, its history row, and one statement for its agreements, event
    # and e-mails.
    if connection.vendor == "postgresql":  # SQLite (`make run`) reads them apart
        assert (len(form), len(post)) == (3, 9)


def test_the_terms_version_shown_travels_signed(signed_in, offer, sale):
    """The form's signed field says which terms were shown: a newer version
    published before the POST is refused even when the unsigned field is
    edited to match it; a tampered token falls back to the unsigned field."""
    url = reverse("claims:file", args=[offer.slug])
    hidden = dict(HIDDEN.findall(signed_in.get(url).content.decode()))
    hidden.pop("csrfmiddlewaretoken", None)
    assert hidden["filing"]
    newer = TermsFactory(offer=offer, version=hidden_version(hidden) + 1)
    data = {"agreement_numbers": sale.agreement_number, "accepted_terms": "on"}
    response = signed_in.post(url, {**hidden, **data, "terms_version": newer.version})
    assert response.status_code == 400
    assert response.context["form"].errors["accepted_terms"]
    response = signed_in.post(
        url, {**data, "filing": hidden["filing"] + "x", "terms_version": newer.version}
    )
    assert response.status_code == 302
    assert Claim.objects.get().terms_id == newer.pk


def hidden_version(hidden: dict) -> int:
    return int(hidden["terms_version"])
