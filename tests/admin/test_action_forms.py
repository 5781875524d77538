"""The one admin action-with-a-form pattern (cashback.admin) and the one home of
reasons (cashback.reasons): what the reviewer reads before giving words, and the
messages that name what happened."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from cashback.errors import PortalError
from cashback.reasons import ReasonForm, reason_in_words, reason_words_require
from claims.models import Claim, CorrectionReason, RejectionReason
from tests.claims.factories import ClaimFactory
from tests.resellers.factories import ReviewerFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:claims_claim_changelist")


@pytest.fixture
def reviewer_client(client):
    reviewer = ReviewerFactory()
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    return client


def action_page(client, action, claims):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [c.pk for c in claims]}
    )


def test_a_reason_form_preselects_nothing_and_says_the_words_go_as_written(
    reviewer_client,
):
    claim = ClaimFactory(submitted_by__preferred_language="sv")
    page = action_page(reviewer_client, "reject", [claim])
    html = page.content.decode()
    form = page.context["form"]
    assert form["reason"].value() in (None, "")
    select = html.split('name="reason"')[1].split("</select>")[0]
    assert select.count("selected") == 1 and 'value="" selected' in select
    assert "the reseller reads Swedish" in html
    assert "Sent as you write it, not translated" in html
    assert claim.reference in html


def test_the_reverse_form_lists_correction_reasons_only(reviewer_client):
    claim = ClaimFactory(status=Claim.Status.APPROVED)
    form = action_page(reviewer_client, "reverse_approval", [claim]).context["form"]
    codes = {code for code, _label in form.fields["reason"].choices if code}
    assert codes == set(CorrectionReason.values)
    assert not codes & (set(RejectionReason.values) - set(CorrectionReason.values))


def test_other_needs_words_in_the_form_and_in_the_rule():
    class Form(ReasonForm):
        reason_choices = CorrectionReason.choices

    form = Form({"reason_code": "other", "reason": "  "})
    assert not form.is_valid() and "reason" in form.errors
    assert Form({"reason_code": "other", "reason": "Paid twice"}).is_valid()
    with pytest.raises(PortalError) as refused:
        reason_words_require(code="", words="x", codes=CorrectionReason.values)
    assert refused.value.code == "reason_required"


def test_a_reason_reads_as_its_label_then_the_words():
    labels = dict(CorrectionReason.choices)
    with translation.override("en"):
        assert (
            reason_in_words("calculation_error", "Twice.", labels)
            == "The reward was calculated wrongly. Twice."
        )
        assert reason_in_words("other", "Only words.", labels) == "Only words."


def test_the_done_message_names_the_claims(reviewer_client):
    claims = ClaimFactory.create_batch(2)
    response = reviewer_client.post(
        CHANGELIST,
        {"action": "approve", "_selected_action": [c.pk for c in claims]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(
        "Approved 2 claims" in m and all(c.reference in m for c in claims)
        for m in messages
    ), messages
