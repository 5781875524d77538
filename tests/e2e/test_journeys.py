"""The four journeys of the program, each through the pages in a real browser.

Only the vendor side is set up in the database (offers, ledger rows, staff);
every step a reseller or a member of staff takes goes through the pages.

With PostgreSQL and Redis (CI) the tasks the app sends go through Redis to a
real Celery worker process, which delivers the e-mails; without them they run
in-process. Either way the e-mails are read from the outbox rows once sent.
"""

import datetime as dt
import re
import zoneinfo
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from claims.models import Claim
from claims.services import claim_approve, claim_file
from payouts.models import Payout
from payouts.services import payouts_schedule, payouts_send_reminders
from tests.claims.factories import OpenAgreementFactory
from tests.conftest import (
    database_url_for_current_test_database,
    uses_postgres,
    uses_redis,
)
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import (
    SMALL_PDF,
    admin_action,
    click,
    link_in_last_mail,
    log_in,
    log_out,
    sent_mails,
    staff_log_in,
    staff_with_totp,
)
from tests.offers.factories import OfferFactory
from tests.resellers.factories import ResellerFactory, UserFactory
from tests.services import CeleryWorker, default_queue, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def task_worker(transactional_db):
    """A real worker on Redis consuming every task the app sends, when there is one.

    Time moved in this process (time-machine) does not move in the worker, so
    journeys that need a later date run that job here; only delivery is the
    worker's.
    """
    if not (uses_postgres() and uses_redis()):
        yield None  # no broker: tasks run eagerly, in this process
        return
    # celery_worker_process's, with more time to start: the browser tests run
    # beside Chromium and the other test processes.
    worker = CeleryWorker(
        database_url=database_url_for_current_test_database(),
        broker_url=settings.REDIS_URL,
    )
    worker.start(timeout=180)
    try:
        with default_queue(worker.queue):
            yield worker.queue
    finally:
        worker.stop()


IBAN = "SE4550000000058398257466"
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


@pytest.fixture
def company():
    reseller = ResellerFactory(legal_name="Nordlicens AB", org_number="5567037485")
    user = UserFactory(
        reseller=reseller,
        email="kim@nordlicens.se",
        preferred_language="sv",
        is_company_admin=True,
    )
    return reseller, user


def sales(reseller, count: int):
    return [
        OpenAgreementFactory(
            reseller_org_number=reseller.org_number, reseller_name=reseller.legal_name
        )
        for _ in range(count)
    ]


def test_a_visitor_signs_up_verifies_and_sees_the_offers(page):
    """Program page in Swedish, then English; gmail refused, company address
    accepted, the e-mailed link verifies it, and the offers are there."""
    offer = OfferFactory(title_en="Cloud Open Winter", title_sv="Cloud Open-vinter")

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "sv"
    screenshot(page, "journey1-01-program-sv")
    click(page, page.get_by_role("button", name="English"))
    assert page.locator("html").get_attribute("lang") == "en"

    page.goto("/accounts/signup/")
    fields = {
        "#id_email": "anna@gmail.com",
        "#id_first_name": "Anna",
        "#id_last_name": "Berg",
        "#id_password1": "a-Long-enough-passw0rd",
        "#id_password2": "a-Long-enough-passw0rd",
        "#id_legal_name": "Nordlicens AB",
        "#id_org_number": "559123-4561",
        "#id_vat_number": "SE559123456101",
    }
    for selector, value in fields.items():
        page.fill(selector, value)
    page.select_option("#id_country", "SE")
    screenshot(page, "journey1-02-signup-en")
    click(page, page.locator("form button[type=submit]").last)
    email_error = page.locator("#id_email").evaluate(
        "el => document.getElementById(el.getAttribute('aria-describedby')"
        "?.split(' ')[0] || '')?.innerText || ''"
    )
    assert "company" in email_error.lower(), email_error
    assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
    screenshot(page, "journey1-03-signup-refused")

    page.fill("#id_email", "anna@nordlicens.se")
    page.fill("#id_password1", fields["#id_password1"])
    page.fill("#id_password2", fields["#id_password2"])
    click(page, page.locator("form button[type=submit]").last)
    screenshot(page, "journey1-04-verification-sent")
    assert len(sent_mails("anna@nordlicens.se")) == 1

    page.goto(link_in_last_mail("/accounts/confirm-email/", to="anna@nordlicens.se"))
    click(page, "main form button[type=submit]")

    page.goto("/offers/")
    assert page.get_by_role("link", name=offer.title_en).first.is_visible()
    screenshot(page, "journey1-05-offers-en")


def test_a_swedish_visitor_signs_up_and_verifies_from_the_swedish_email(page):
    """The browser asks for Swedish: the sign-up form, then the verification
    e-mail in Swedish, naming the program, its support address and how long the
    link works; the link verifies the address and the offers are there."""
    offer = OfferFactory(title_en="Cloud Open Winter", title_sv="Cloud Open-vinter")

    page.goto("/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "sv"
    for selector, value in {
        "#id_email": "anna@nordlicens.se",
        "#id_first_name": "Anna",
        "#id_last_name": "Berg",
        "#id_password1": "a-Long-enough-passw0rd",
        "#id_password2": "a-Long-enough-passw0rd",
        "#id_legal_name": "Nordlicens AB",
        "#id_org_number": "559123-4561",
        "#id_vat_number": "SE559123456101",
    }.items():
        page.fill(selector, value)
    page.select_option("#id_country", "SE")
    click(page, page.locator("form button[type=submit]").last)
    screenshot(page, "journey1-sv-01-verification-sent")

    [message] = sent_mails("anna@nordlicens.se")
    program = settings.PROGRAM_NAME
    assert message.subject == f"Bekräfta din e-postadress för {program}"
    for text in (
        "Hej!",
        f"Du har registrerat dig i {program}, leverantörens återbäringsprogram",
        "Bekräfta adressen inom 3\xa0dagar på den här sidan:",
        "Om du inte har registrerat dig kan du bortse från meddelandet",
        f"Frågor: {settings.SUPPORT_EMAIL}",
    ):
        assert text in message.text_body, (text, message.text_body)
    assert "Bekräfta adressen</a>" in message.html_body

    page.goto(link_in_last_mail("/accounts/confirm-email/", to="anna@nordlicens.se"))
    click(page, "main form button[type=submit]")
    page.goto("/offers/")
    assert page.get_by_role("link", name=offer.title_sv).first.is_visible()


def test_a_claim_is_filed_reviewed_approved_and_paid_out_to_the_company(
    page, staff_page, company, time_machine
):
    """Two agreements on a one-claim offer; the reviewer (password + TOTP) asks
    for an invoice, the reseller uploads it, the reviewer approves; the link in
    the e-mail leads, after re-authentication, to the bank details, where a
    wrong IBAN and a person's name are refused and the company's account is
    accepted; once the return period is over the payout is scheduled."""
    reseller, user = company
    offer = OfferFactory(title_sv="Cloud Open-vinter", title_en="Cloud Open Winter")
    first, second = sales(reseller, 2)
    reviewer = staff_with_totp(email="reviewer@vendor.example")

    log_in(page, user.email)
    page.goto(f"/offers/{offer.slug}/claim/")
    page.fill(
        "#id_agreement_numbers",
        f"{first.agreement_number}\n{second.agreement_number}",
    )
    page.check("#id_accepted_terms")
    screenshot(page, "journey2-01-claim-form")
    click(page, page.get_by_role("button", name="Skicka in anspråket"))
    assert re.search(r"/claims/CB-", page.url), page.url
    claim = Claim.objects.get()
    assert claim.agreements.count() == 2
    screenshot(page, "journey2-02-claim-filed")

    staff_log_in(staff_page, reviewer)
    admin_action(staff_page, "/admin/claims/claim/", claim.pk, "request_invoice")
    staff_page.fill("textarea[name=message]", "Skicka en kopia av fakturan.")
    screenshot(staff_page, "journey2-03-admin-request-invoice")
    click(staff_page, "#content form [type=submit]")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.INFO_REQUESTED

    page.goto(claim.get_absolute_url())
    steps = page.locator("ol.stepper li")
    assert steps.count() == 3
    assert "Inskickat" in steps.nth(0).inner_text()
    assert steps.nth(1).get_attribute("aria-current") == "step"
    assert "Faktura begärd" in steps.nth(1).inner_text()
    page.set_input_files(
        "input[type=file]",
        files=[
            {"name": "faktura.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
        ],
    )
    click(page, "form[enctype='multipart/form-data'] button[type=submit]")
    screenshot(page, "journey2-04-invoice-uploaded")
    assert claim.invoices.count() == 1

    admin_action(staff_page, "/admin/claims/claim/", claim.pk, "approve")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    log_out(page)  # the reseller comes back later, from the e-mail

    link = link_in_last_mail("/payouts/bank-details/", to=user.email)
    log_in(page, user.email, next_url=link)
    # The password was typed a moment ago: no second time (issue 28).
    assert "/accounts/reauthenticate/" not in page.url, page.url
    assert re.search(r"/payouts/\d+/bank-details/", page.url), page.url
    screenshot(page, "journey2-06-bank-details")

    def submit(name: str, iban: str) -> None:
        page.fill("#id_account-beneficiary_name", name)
        page.fill("#id_account-iban", iban)
        page.fill("#id_account-bic", "ESSESESS")
        page.check("#id_account-address_confirmed")
        click(page, "button[name=account-submit]")

    submit(reseller.legal_name, IBAN[:-1] + "7")
    assert page.locator("#id_account-iban").get_attribute("aria-invalid") == "true"
    screenshot(page, "journey2-07-wrong-iban")
    submit("Kim Lind", IBAN)
    assert (
        page.locator("#id_account-beneficiary_name").get_attribute("aria-invalid")
        == "true"
    )
    screenshot(page, "journey2-08-person-refused")
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.AWAITING_BANK_DETAILS

    submit(reseller.legal_name, IBAN)
    assert page.url.endswith("/payouts/"), page.url
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY
    row = page.locator("tr", has_text=claim.reference)
    assert "Klar" in row.inner_text(), row.inner_text()
    screenshot(page, "journey2-09-payout-ready")

    # The return period ends; the nightly job schedules the payment (R14).
    time_machine.move_to(
        dt.datetime.combine(payout.release_date, dt.time(6), tzinfo=STOCKHOLM),
        tick=True,
    )
    call_command("schedule_payouts", stdout=StringIO())
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SCHEDULED
    # Weeks later the session has timed out: the reseller logs in again.
    log_in(page, user.email, next_url="/payouts/")
    row = page.locator("tr", has_text=claim.reference)
    current = row.locator("[aria-current=step]")
    assert "Schemalagd" in current.inner_text(), row.inner_text()
    screenshot(page, "journey2-10-payout-scheduled")


def test_a_reseller_who_never_gives_bank_details_is_reminded_then_forfeits(
    page, company, time_machine
):
    """Three reminders as the clock moves on, then the payout lapses and the
    payouts page says so."""
    reseller, user = company
    time_machine.move_to(dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC), tick=True)
    offer = OfferFactory()
    (sale,) = sales(reseller, 1)
    reviewer = staff_with_totp(email="reviewer@vendor.example")

    # Vendor side: filing and approving are journey 2; here they set the scene.
    claim = claim_file(
        reseller=reseller,
        user=user,
        offer=offer,
        agreement_numbers=[sale.agreement_number],
        terms_version=offer.terms.latest().version,
        accepted_terms=True,
        ip="127.0.0.1",
    )
    # Validation computes the reward; with a worker it runs there, so wait.
    assert wait_for(lambda: Claim.objects.get(pk=claim.pk).reward_amount is not None)
    claim_approve(claim=Claim.objects.get(pk=claim.pk), actor=reviewer)
    payout = Payout.objects.get()
    sent_mails(user.email)  # the worker sends the notice asking for bank details
    payouts_send_reminders()  # starts the window from the sent notice
    payout.refresh_from_db()
    assert payout.bank_details_due_at is not None

    log_in(page, user.email, next_url="/payouts/")
    screenshot(page, "journey3-01-payout-awaiting")

    for _ in range(offer.max_reminders + 1):
        payout.refresh_from_db()
        time_machine.move_to(payout.bank_details_due_at + dt.timedelta(minutes=1))
        payouts_send_reminders()
    payout.refresh_from_db()
    assert payout.reminders_sent == offer.max_reminders == 3
    assert payout.status == Payout.Status.FORFEITED
    subjects = [m.subject for m in sent_mails(user.email, count=3)]
    reminders = [s for s in subjects if s.startswith("Påminnelse")]
    assert len(reminders) == 3, subjects
    assert reminders[-1].startswith("Påminnelse 3 av 3")

    # Weeks later the session has long timed out: the reseller logs in again.
    log_in(page, user.email, next_url="/payouts/")
    row = page.locator("tr", has_text=claim.reference)
    assert "Förverkad" in row.inner_text(), row.inner_text()
    screenshot(page, "journey3-02-payout-forfeited")


def test_operators_batch_release_and_pay_and_the_reseller_sees_it_paid(
    page, staff_page, company, tmp_path
):
    """Four eyes: one operator builds the batch, another releases it and
    downloads the pain.001 file; the bank's debit notification, uploaded in
    admin by one and confirmed by the other, marks the payout paid and the
    reseller reads it."""
    from payouts.services import bank_account_submit
    from tests.payouts.conftest import approve, notice_delivered
    from tests.payouts.factories import approved_claim

    reseller, user = company
    # Filing, approval and bank details are journey 2; here they set the scene.
    claim = approved_claim(reseller=reseller, submitted_by=user)
    payout = approve(claim)
    account = bank_account_submit(
        reseller=reseller,
        user=user,
        beneficiary_name=reseller.legal_name,
        iban=IBAN,
        bic="ESSESESS",
        bank_country="SE",
        currency="SEK",
        payout=payout,
    )
    notice_delivered(account)  # its cooling-off runs from delivery (issue 27)
    payouts_schedule(today=payout.release_date)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SCHEDULED
    first = staff_with_totp(email="ops1@vendor.example")
    second = staff_with_totp(email="ops2@vendor.example")

    staff_log_in(staff_page, first)
    admin_action(staff_page, "/admin/payouts/payout/", payout.pk, "create_batch")
    screenshot(staff_page, "journey4-01-batch-created")
    payout.refresh_from_db()
    batch = payout.batch
    assert batch is not None

    # The second operator, at another desk: the reseller's fixture browser.
    staff_log_in(page, second)
    admin_action(page, "/admin/payouts/paymentbatch/", batch.pk, "release")
    click(page, "#content form [type=submit]")  # the release's own page
    screenshot(page, "journey4-02-batch-released")
    page.check(f"input[name=_selected_action][value='{batch.pk}']")
    page.select_option("select[name=action]", "download_file")
    with page.expect_download() as download_info:
        page.locator("button[name=index]").click()
    content = Path(download_info.value.path()).read_bytes()
    assert b"pain.001" in content and IBAN.encode() in content

    # The bank's camt.054, received by e-mail, read through the upload form.
    from payouts.bank.answers import debit_notification

    payout.refresh_from_db()
    notification = tmp_path / "camt054.xml"
    notification.write_bytes(
        debit_notification(
            message_id="E2E-C054-1",
            batch_message_id=batch.message_id,
            booking_date=payout.release_date,
            entries=[
                (
                    claim.reference,
                    payout.payout_amount,
                    payout.payout_currency,
                    "E2E-BANK-1",
                )
            ],
        )
    )
    page.goto("/admin/payouts/inboundbankfile/upload/")
    page.set_input_files("input[name=file]", str(notification))
    click(page, "input[type=submit]")
    assert "E2E-C054-1" in page.inner_text(".messagelist")
    payout.refresh_from_db()
    assert payout.status == Payout.Status.IN_BATCH  # one operator's word: kept
    log_out(page)

    # Four eyes (issue 27): the first operator confirms the uploaded file.
    from payouts.bank.models import InboundBankFile

    uploaded = InboundBankFile.objects.get(message_id="E2E-C054-1")
    admin_action(
        staff_page, "/admin/payouts/inboundbankfile/", uploaded.pk, "confirm_files"
    )
    assert "E2E-C054-1" in staff_page.inner_text(".messagelist")
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID

    log_in(page, user.email, next_url="/payouts/")
    row = page.locator("tr", has_text=claim.reference)
    assert claim.reference in row.inner_text()
    assert "Utbetald" in row.inner_text(), row.inner_text()
    assert "Utbetald den" in row.inner_text(), row.inner_text()
    screenshot(page, "journey4-03-payout-paid")
