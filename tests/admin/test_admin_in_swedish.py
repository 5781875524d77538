"""The admin staff use all day, read in Swedish (issue 28): every column header,
field label and filter title is a Swedish entry of the message catalogues
(ours and Django's), never an English msgid or a label Django made up from a
field's name."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import trans_real

from claims.checks import check_in_words, reward_in_words
from claims.models import Claim
from payouts.models import BankAccount, PaymentBatch, Payout
from resellers.models import Reseller
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

# Words that read the same in both languages, or are names and codes.
SAME_IN_BOTH = {"iban", "bic", "ip", "e-post", "status", "mri", "id"}


def swedish_words() -> set[str]:
    catalog = trans_real.translation("sv")._catalog
    return {str(text).strip().lower() for _key, text in catalog.items() if text}


def texts(html: str, pattern: str) -> list[str]:
    found = []
    for raw in re.findall(pattern, html, flags=re.S):
        text = re.sub(r"<select.*?</select>", "", raw, flags=re.S)
        text = re.sub(r"<[^>]+>", "", text)
        text = re.sub(r"\s+", " ", text).strip().rstrip(":").strip()
        if text:
            found.append(text)
    return found


def labels_of(html: str) -> list[str]:
    """Column headers, field labels, fieldset and filter titles."""
    return [
        *texts(html, r'<th scope="col"[^>]*>.*?<div class="text">(.*?)</div>'),
        *texts(html, r"<label[^>]*>(.*?)</label>"),
        *texts(html, r'<fieldset class="module[^"]*">\s*<h2[^>]*>(.*?)</h2>'),
        *texts(html, r'<details data-filter-title="([^"]*)"'),
    ]


def staff_pages() -> list[str]:
    claim = Claim.objects.exclude(validation_report={}).order_by("pk").first()
    payout = Payout.objects.order_by("pk").first()
    batch = PaymentBatch.objects.order_by("pk").first()
    account = BankAccount.objects.order_by("pk").first()
    reseller = Reseller.objects.order_by("pk").first()
    pages = [
        reverse("admin:claims_claim_changelist"),
        reverse("admin:claims_claim_change", args=[claim.pk]),
        reverse("admin:payouts_payout_changelist"),
        reverse("admin:payouts_payout_change", args=[payout.pk]),
        reverse("admin:payouts_bankaccount_changelist"),
        reverse("admin:payouts_bankaccount_change", args=[account.pk]),
        reverse("admin:payouts_paymentbatch_changelist"),
        reverse("admin:resellers_reseller_changelist"),
        reverse("admin:resellers_reseller_change", args=[reseller.pk]),
        reverse("admin:offers_offer_changelist"),
    ]
    if batch is not None:
        pages.append(reverse("admin:payouts_paymentbatch_change", args=[batch.pk]))
    return pages


def test_the_admin_staff_use_reads_swedish_in_swedish(client):
    call_command("seed_demo", verbosity=0)
    client.force_login(StaffUserFactory(is_superuser=True))
    client.cookies["cashback_language"] = "sv"
    with translation.override("sv"):
        swedish = swedish_words()
    english = []
    for url in staff_pages():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="sv")
        assert response.status_code == 200, url
        for label in labels_of(response.content.decode()):
            if label.lower() not in swedish and label.lower() not in SAME_IN_BOTH:
                english.append(f"{url}: {label}")
    assert not english, "\n".join(sorted(set(english)))


def test_the_validation_report_reads_in_the_reviewers_language(client):
    """Each check's label, result and reason reads in Swedish on the claim's
    admin page, with none of the English words; so does the reward's count."""
    call_command("seed_demo", verbosity=0)
    client.force_login(StaffUserFactory(is_superuser=True))
    claim = Claim.objects.exclude(validation_report={}).order_by("pk").first()
    client.cookies["cashback_language"] = "sv"
    html = client.get(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        HTTP_ACCEPT_LANGUAGE="sv",
    ).content.decode()
    shown = [
        check
        for check in claim.validation_report["checks"]
        if not check["agreement"] or check["result"] != "pass"
    ]
    assert shown
    with translation.override("sv"):
        swedish = [check_in_words(check) for check in shown]
        reward = reward_in_words(claim.validation_report)
    with translation.override("en"):
        english = [check_in_words(check) for check in shown]
    for sv, en in zip(swedish, english, strict=True):
        for part in ("label", "result_label", "reason"):
            assert escape(sv[part]) in html, sv[part]
            if sv[part] != en[part]:
                assert escape(en[part]) not in html, en[part]
    assert reward and escape(reward) in html


def event_cells(html: str, group: str) -> list[str]:
    """The text of every cell of an inline's rows (its timeline of events)."""
    start = html.index(f'id="{group}-group"')
    table = html[start : html.index("</table>", start)]
    return texts(table, r'<td class="field-[^"]*">(.*?)</td>')


def in_swedish(choices) -> set[str]:
    with translation.override("sv"):
        return {str(label) for _code, label in choices}


def test_the_timelines_name_states_and_events_by_their_swedish_labels(client):
    """A claim's and a payout's events read "Schemalagd", never "scheduled":
    each kind, from-state and to-state by its label in the reader's language."""
    from claims.models import ClaimEvent
    from claims.services import claim_approve
    from payouts.models import PayoutEvent
    from tests.claims.factories import ClaimFactory
    from tests.resellers.factories import ReviewerFactory

    claim = claim_approve(claim=ClaimFactory(), actor=ReviewerFactory())
    payout = Payout.objects.get(claim=claim)
    client.force_login(StaffUserFactory(is_superuser=True))
    client.cookies["cashback_language"] = "sv"
    pages = [
        (
            reverse("admin:claims_claim_change", args=[payout.claim_id]),
            ClaimEvent.objects.filter(claim=payout.claim_id),
            Claim.Status,
            ClaimEvent.Kind,
        ),
        (
            reverse("admin:payouts_payout_change", args=[payout.pk]),
            PayoutEvent.objects.filter(payout=payout),
            Payout.Status,
            PayoutEvent.Kind,
        ),
    ]
    for url, events, states, kinds in pages:
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
        cells = event_cells(html, "events")
        codes = {*states.values, *kinds.values}
        assert not codes & set(cells), (url, sorted(codes & set(cells)))
        used_states = {
            state for event in events for state in (event.from_status, event.to_status)
        } - {""}
        used_kinds = {event.kind for event in events}
        with translation.override("sv"):
            expected = {str(states(state).label) for state in used_states} | {
                str(kinds(kind).label) for kind in used_kinds
            }
        assert used_states and expected <= set(cells), (url, expected - set(cells))
        assert expected <= in_swedish(states.choices) | in_swedish(kinds.choices)


def test_a_validation_event_reads_its_outcome_in_the_readers_language(client):
    """Validation ran in English (a task); the Swedish timeline says the
    outcome in Swedish: the event keeps the outcome's code, not its words."""
    from claims.models import ClaimEvent
    from claims.services import claim_validate
    from tests.claims.factories import ClaimFactory

    with translation.override("en"):
        claim = claim_validate(claim_id=ClaimFactory().pk, note="")
    event = ClaimEvent.objects.get(claim=claim, kind=ClaimEvent.Kind.VALIDATED)
    with translation.override("sv"):
        swedish = str(claim.get_validation_outcome_display())
        assert event.message_in_words == swedish
    with translation.override("en"):
        english = str(claim.get_validation_outcome_display())
        assert event.message_in_words == english
    client.force_login(StaffUserFactory(is_superuser=True))
    client.cookies["cashback_language"] = "sv"
    html = client.get(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        HTTP_ACCEPT_LANGUAGE="sv",
    ).content.decode()
    assert swedish in event_cells(html, "events")
    assert english not in event_cells(html, "events")
