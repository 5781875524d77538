"""Where invoice copies and ledger uploads are kept: private storage, under
generated names. `claims.models` re-exports them (the migrations name them
there)."""

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files outside MEDIA_ROOT and without a URL: served only by checking views.

    The location is read from settings on every use, so tests (and operators)
    can move it without reloading the models.
    """

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self):  # type: ignore[override]
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):  # type: ignore[override]
        import os

        return os.path.abspath(self.base_location)

    def url(self, name):  # pragma: no cover - never public
        raise ValueError("Private files have no URL; use the download view.")


def private_storage():
    """The storage for invoice copies and ledger uploads (a callable for migrations):
    STORAGES["private"], this folder class or S3 (settings block admin/storage)."""
    from django.core.files.storage import storages

    return storages["private"]


def invoice_upload_to(instance, filename: str) -> str:
    """An InvoiceDocument's generated name: the reseller's file name is never
    used on disk."""
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    suffix = extension.get(instance.content_type, "bin")
    return f"invoices/{instance.claim_id}/{uuid.uuid4().hex}.{suffix}"


def ledger_upload_to(instance, filename: str) -> str:
    return f"ledger/{uuid.uuid4().hex}.csv"
