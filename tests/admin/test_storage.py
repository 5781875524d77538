"""Uploads on S3-compatible object storage when a bucket is configured, local
folders otherwise (settings block admin/storage)."""

import pytest
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from cashback.storage import object_storage_settings
from claims.models import InvoiceDocument, PrivateStorage


def test_without_a_bucket_files_stay_in_local_folders():
    """No AWS_STORAGE_BUCKET_NAME: invoices go to the private folder class."""
    config = object_storage_settings({})
    assert config["private"]["BACKEND"] == "claims.models.PrivateStorage"
    assert isinstance(storages["private"], PrivateStorage)
    assert isinstance(InvoiceDocument._meta.get_field("file").storage, PrivateStorage)


def test_a_bucket_in_the_environment_puts_uploads_on_s3():
    """Bucket, endpoint, region and keys from the environment; private ACL, a
    separate prefix for private files; nothing contacts the service yet."""
    config = object_storage_settings(
        {
            "AWS_STORAGE_BUCKET_NAME": "cashback-files",
            "AWS_S3_ENDPOINT_URL": "https://s3.example.net",
            "AWS_S3_REGION_NAME": "eu-north-1",
            "AWS_ACCESS_KEY_ID": "key-id",
            "AWS_SECRET_ACCESS_KEY": "secret",
        }
    )
    private = S3Storage(**config["private"]["OPTIONS"])
    assert config["private"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert private.bucket_name == "cashback-files"
    assert private.endpoint_url == "https://s3.example.net"
    assert private.location == "private"
    assert private.default_acl == "private"
    assert private.file_overwrite is False
    assert config["default"]["OPTIONS"]["location"] == "media"


@pytest.mark.django_db
def test_invoice_fields_use_the_configured_private_storage(settings):
    """The model's storage comes from STORAGES["private"], so switching to S3 is
    a matter of settings."""
    from claims.models import private_storage

    assert private_storage() is storages["private"]
