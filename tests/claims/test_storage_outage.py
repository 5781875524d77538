"""An S3 that stops answering (R27): the upload fails within the storage's
timeouts with a message, nothing is recorded, and the claim's row is not locked
while the file travels."""

import socket
import threading

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from storages.backends.s3 import S3Storage

from cashback.storage import object_storage_settings
from claims.models import Claim, InvoiceDocument
from claims.services import claim_request_invoice
from tests.claims.factories import ClaimFactory
from tests.claims.test_pages import SMALL_PDF

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_window"),
]


class SilentServer:
    """Accepts TCP connections and never answers, like a hung S3."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                accepted, _address = self.listener.accept()
            except OSError:
                return
            self.sockets.append(accepted)
            self.connected.set()

    def close(self) -> None:
        for accepted in self.sockets:
            accepted.close()
        self.listener.close()


@pytest.fixture
def hung_s3(monkeypatch):
    server = SilentServer()
    options = object_storage_settings(
        {
            "AWS_STORAGE_BUCKET_NAME": "cashback-test",
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{server.port}",
            "AWS_S3_REGION_NAME": "eu-north-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "STORAGE_CONNECT_TIMEOUT_SECONDS": "1",
            "STORAGE_READ_TIMEOUT_SECONDS": "1",
            "STORAGE_ATTEMPTS": "1",
        }
    )["private"]["OPTIONS"]
    field = InvoiceDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", S3Storage(**options))
    yield server
    server.close()


def dsn() -> str:
    database = settings.DATABASES["default"]
    return (
        f"host={database['HOST'] or '127.0.0.1'} port={database['PORT'] or 5432} "
        f"user={database['USER']} dbname={connection.settings_dict['NAME']}"
    )


@pytest.mark.postgres
def test_a_hung_s3_fails_the_upload_with_a_message_and_no_lock_held(
    client, user, reviewer, hung_s3
):
    claim = ClaimFactory(reseller=user.reseller, submitted_by=user)
    claim_request_invoice(claim=claim, actor=reviewer, message="Please.")
    client.force_login(user)
    outcome = {}

    def upload() -> None:
        try:
            outcome["response"] = client.post(
                reverse("claims:upload_invoice", args=[claim.reference]),
                {"file": SimpleUploadedFile("i.pdf", SMALL_PDF, "application/pdf")},
            )
        finally:
            connection.close()  # this thread's own connection

    uploading = threading.Thread(target=upload)
    uploading.start()
    assert hung_s3.connected.wait(30), "the upload never reached the storage"
    # While the file is on its way, another actor can lock the claim at once.
    with psycopg.connect(dsn()) as other:
        other.execute("SET lock_timeout = '500ms'")
        other.execute(
            "SELECT id FROM claims_claim WHERE id = %s FOR UPDATE", [claim.pk]
        ).fetchone()
    uploading.join(60)
    assert not uploading.is_alive(), "the upload did not give up"
    response = outcome["response"]
    assert response.status_code == 400
    assert "the storage did not answer" in response.content.decode()
    assert not InvoiceDocument.objects.exists()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.INFO_REQUESTED
