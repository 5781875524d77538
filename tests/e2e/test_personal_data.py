"""Personal data in the browser (issue 31): a person downloads a copy of their
data from the account page, closes their account, and cannot sign in again."""

import datetime as dt
import io
import json
import zipfile

import pytest

from portal.privacy.models import AccountClosure
from resellers.models import User
from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.helpers import PASSWORD, click, link_in_last_mail, log_in, press_enter
from tests.resellers.factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_downloads_their_data_closes_their_account_and_cannot_sign_in(
    page, time_machine
):
    reseller = ResellerFactory(legal_name="Lindqvist Licens AB")
    person = UserFactory(
        reseller=reseller,
        email="maja.lindqvist@lindqvist-licens.example",
        first_name="Maja",
        last_name="Lindqvist",
        is_company_admin=True,
    )
    log_in(page, person.email, next_url="/account/")
    # Later than a log-in that counts as re-authentication (issue 28).
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    page.goto(page.url.split("/account/")[0] + "/account/")
    assert "/accounts/reauthenticate/" in page.url, page.url  # the password again
    page.fill("input[name=password]", PASSWORD)
    press_enter(page, "input[name=password]")
    assert page.url.endswith("/account/"), page.url
    assert page.locator("h1").inner_text() == "Ditt konto"
    assert serious_violations(page) == []
    screenshot(page, "personal-data-01-account")

    click(page, "form[action='/account/data/'] button[type=submit]")
    assert "Vi förbereder en kopia" in page.locator("main").inner_text(), page.url
    link = link_in_last_mail("/account/data/", to=person.email)
    page.goto("/account/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner").click()
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    data = json.loads(archive.read("data.json"))
    assert data["kinds"]["profile"]["rows"][0]["email"] == person.email
    assert "Dina uppgifter" in archive.read("summary.html").decode()
    assert link.startswith("/account/data/")

    page.goto("/account/")
    click(page, "a[href='/account/close/']")
    assert "pseudonym" in page.locator("main").inner_text()
    assert serious_violations(page) == []
    screenshot(page, "personal-data-02-close")
    page.check("#confirm-close")
    click(page, "main form button[type=submit]")
    assert "Ditt konto är avslutat" in page.locator(".messages").inner_text()
    assert AccountClosure.objects.filter(user=person).exists()
    assert not User.objects.get(pk=person.pk).is_active

    log_in(page, person.email, next_url="/account/")
    assert "/accounts/login/" in page.url, page.url
    screenshot(page, "personal-data-03-sign-in-refused")
