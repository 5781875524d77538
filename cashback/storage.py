"""Where uploaded files live: local folders on one machine, S3-compatible object
storage (through django-storages) when the environment names a bucket.

Read by the settings (block "admin/storage"); nothing here touches the network.
Invoice copies and ledger uploads go to the "private" storage: on S3 under the
`private/` prefix, never public (the portal's views check access and stream
the file; a URL, if one is ever made, is signed and short-lived). Payment
files (pain.001) are kept in the database with their batch, so every web
process and worker sees them already.
"""

from collections.abc import Mapping

from botocore.config import Config

PRIVATE_LOCAL = {"BACKEND": "claims.models.PrivateStorage"}
DEFAULT_LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def object_storage_settings(environ: Mapping[str, str]) -> dict[str, dict]:
    """The "default" and "private" entries of STORAGES for this environment.

    S3 when AWS_STORAGE_BUCKET_NAME is set: AWS_S3_ENDPOINT_URL for a
    non-AWS service (MinIO, Ceph, a cloud's S3 API), AWS_S3_REGION_NAME, and
    the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the
    machine's role, as boto3 finds it). Local folders otherwise.

    Every S3 call gives up after STORAGE_CONNECT_TIMEOUT_SECONDS to connect
    and STORAGE_READ_TIMEOUT_SECONDS without an answer, tried once more at
    most (STORAGE_ATTEMPTS): a hanging S3 fails an upload in seconds with a
    "try again" message instead of holding the request for minutes.
    """
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return {"default": DEFAULT_LOCAL, "private": PRIVATE_LOCAL}
    common = {
        "client_config": storage_client_config(environ),
        "bucket_name": bucket,
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        "querystring_expire": 300,
    }
    for setting, option in [
        ("AWS_S3_ENDPOINT_URL", "endpoint_url"),
        ("AWS_S3_REGION_NAME", "region_name"),
        ("AWS_ACCESS_KEY_ID", "access_key"),
        ("AWS_SECRET_ACCESS_KEY", "secret_key"),
    ]:
        if environ.get(setting):
            common[option] = environ[setting]
    backend = "storages.backends.s3.S3Storage"
    return {
        "default": {"BACKEND": backend, "OPTIONS": {**common, "location": "media"}},
        "private": {"BACKEND": backend, "OPTIONS": {**common, "location": "private"}},
    }


def storage_client_config(environ: Mapping[str, str]) -> Config:
    """boto3's timeouts and retries for the S3 storages."""
    return Config(
        connect_timeout=float(environ.get("STORAGE_CONNECT_TIMEOUT_SECONDS", "3")),
        read_timeout=float(environ.get("STORAGE_READ_TIMEOUT_SECONDS", "5")),
        retries={
            "mode": "standard",
            "total_max_attempts": int(environ.get("STORAGE_ATTEMPTS", "2")),
        },
        signature_version="s3v4",
    )


def uses_local_storage(storages_setting: Mapping[str, Mapping]) -> bool:
    """Whether uploads land on this machine's disk, where other nodes cannot
    read them."""
    return storages_setting["private"]["BACKEND"] == PRIVATE_LOCAL["BACKEND"]
