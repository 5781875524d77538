"""'Your data': a ZIP of JSON and an HTML summary of everything held about the
person, built by a task, e-mailed, downloadable by that person only."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from cashback.models import OutboxMessage, SecurityEvent
from portal.privacy.export import data_export_build, data_export_request
from portal.privacy.models import DataExport
from portal.privacy.register import REGISTER
from tests.payouts.conftest import sign_in_fresh
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db


def _zip(export: DataExport) -> tuple[dict, str]:
    with export.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    return json.loads(archive.read("data.json")), archive.read("summary.html").decode()


def test_a_person_who_did_everything_gets_every_kind_and_nothing_of_others(
    person, stranger, django_capture_on_commit_callbacks
):
    """Every kind in the register is in the export; for a reseller who filed,
    uploaded, changed bank details, accepted self-billing and was reviewed,
    every kind not held only about staff (nor the company's own record) has
    rows; nothing of the other person or company."""
    with django_capture_on_commit_callbacks(execute=True):
        export = data_export_request(user=person.user, language="en")
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY
    data, summary = _zip(export)
    kinds = data["kinds"]
    assert set(kinds) == {entry.kind for entry in REGISTER}
    empty = [
        entry.kind
        for entry in REGISTER
        if not (entry.staff_only or entry.company_record)
        and not kinds[entry.kind]["rows"]
    ]
    assert empty == []
    (agreement,) = kinds["self_billing_agreements"]["rows"]
    assert agreement["reseller_id"] == person.reseller.pk
    assert agreement["accepted_ip"] == "192.0.2.44"
    assert kinds["profile"]["rows"][0]["email"] == person.email
    assert kinds["claims"]["rows"][0]["reference"] == person.claim.reference
    assert kinds["invoice_uploads"]["rows"][0]["original_name"] == "invoice.pdf"
    assert {row["version"] for row in kinds["bank_details"]["rows"]} == {1, 2}
    text = json.dumps(data, ensure_ascii=False) + summary
    for foreign in ["Oxelgren", "oxelgren", stranger.claim.reference]:
        assert foreign not in text
    assert stranger.reseller.org_number not in text
    assert "Västerberg Data AB" in text
    assert "Ingrid" in summary


def test_summary_is_in_the_readers_language(person):
    """Asked for in Swedish, the readable summary is in Swedish."""
    export = DataExport.objects.create(user=person.user, token="sv" * 32, language="sv")
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    _data, summary = _zip(export)
    assert "Dina uppgifter" in summary
    assert "Your data" not in summary


def test_the_link_is_emailed_and_works_for_the_person_only_after_reauthentication(
    person, client, django_capture_on_commit_callbacks, time_machine
):
    """The e-mail carries the link; the person downloads after giving the
    password again; someone else gets a 404; after 7 days it is gone."""
    with django_capture_on_commit_callbacks(execute=True):
        export = data_export_request(user=person.user, language="en")
    export.refresh_from_db()
    url = reverse("privacy:export_download", args=[export.token])
    mail = OutboxMessage.objects.get(dedup_key=f"privacy-export-ready:{export.pk}")
    assert mail.recipients == [person.email]
    assert url in mail.text_body

    client.force_login(person.user)
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("account_reauthenticate") in response["Location"]

    sign_in_fresh(client, person.user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.DATA_EXPORT_DOWNLOADED, user=person.user
    ).exists()

    other = UserFactory(reseller=person.reseller)
    sign_in_fresh(client, other)
    assert client.get(url).status_code == 404

    time_machine.move_to(timezone.now() + timezone.timedelta(days=7, seconds=1))
    sign_in_fresh(client, person.user)
    assert client.get(url).status_code == 404


def test_asking_on_the_account_page_needs_reauthentication_and_builds_once(
    person, client, django_capture_on_commit_callbacks
):
    """The button asks for the password again; two clicks make one copy."""
    client.force_login(person.user)
    response = client.get(reverse("privacy:account"))
    assert reverse("account_reauthenticate") in response["Location"]
    response = client.post(reverse("privacy:export_request"))
    assert reverse("account_reauthenticate") in response["Location"]
    assert not DataExport.objects.exists()
    sign_in_fresh(client, person.user)
    assert client.get(reverse("privacy:account")).status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("privacy:export_request"))
        client.post(reverse("privacy:export_request"))
    assert DataExport.objects.filter(user=person.user).count() == 1
