"""Bad configuration stops start-up with one clear line, not a traceback."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k" * 20
    + "-a-real-looking-secret-from-the-environment-0123456789",
    "DJANGO_ALLOWED_HOSTS": "cashback.example.com",
    "PORTAL_URL": "https://cashback.example.com",
    "FIELD_ENCRYPTION_KEYS": "bG9jYWwtb25seS1rZXktbmV2ZXItcHJvZHVjdGlvbiE=",
    "BANK_ACCOUNT_FINGERPRINT_KEY": "a-fingerprint-key-from-the-environment",
    "DEFAULT_FROM_EMAIL": "Cash Back <cashback@vendor.test>",
    "TRUSTED_PROXY_COUNT": "1",
    "ALLOW_LOCAL_FILE_STORAGE": "true",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "DJANGO_SECRET_KEY",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "TRUST_X_FORWARDED_PROTO",
            "AWS_STORAGE_BUCKET_NAME",
            *PRODUCTION_ENV,
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "url", ["postgres//missing-colon", "nosuchdb://x/y", "postgres://host:notaport/db"]
)
def test_malformed_database_url_is_one_clear_line(url):
    result = run_manage("check", DATABASE_URL=url)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: DATABASE_URL")


def test_production_without_a_secret_is_one_clear_line():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="cashback.settings.production",
        DJANGO_ALLOWED_HOSTS="cashback.example.com",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "Configuration error: DJANGO_SECRET_KEY is not set; "
        "production needs a long random secret."
    )


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="cashback.settings.production",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        "FIELD_ENCRYPTION_KEYS",
        "BANK_ACCOUNT_FINGERPRINT_KEY",
        "PORTAL_URL",
        "DEFAULT_FROM_EMAIL",
    ],
)
def test_production_without_a_key_is_one_clear_line(missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="cashback.settings.production", **env
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(
        f"Configuration error: {missing} is not set"
    )


@pytest.mark.parametrize(
    "sender",
    ["Cash Back <no-reply@example.com>", "no-reply@mail.example.org"],
)
def test_production_refuses_an_example_sender_in_one_clear_line(sender):
    """The example address of the defaults never becomes the sender of real mail."""
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="cashback.settings.production",
        **{**PRODUCTION_ENV, "DEFAULT_FROM_EMAIL": sender},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(
        f"Configuration error: DEFAULT_FROM_EMAIL {sender!r} is an example address"
    )


def test_production_behind_a_proxy_needs_the_trusted_proxy_count():
    """X-Forwarded-Proto trusted but no proxy count: rate limits and the security
    log would see the proxy's address, so start-up stops and names the setting."""
    env = {key: value for key, value in PRODUCTION_ENV.items()}
    env.pop("TRUSTED_PROXY_COUNT")
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="cashback.settings.production", **env
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(
        "Configuration error: TRUSTED_PROXY_COUNT is not set"
    )
    without_proxy = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="cashback.settings.production",
        TRUST_X_FORWARDED_PROTO="false",
        **env,
    )
    assert without_proxy.returncode == 0, without_proxy.stderr


def test_production_refuses_local_file_storage_unless_allowed():
    """A node without the bucket variables would keep uploads on its own disk."""
    env = {key: value for key, value in PRODUCTION_ENV.items()}
    env.pop("ALLOW_LOCAL_FILE_STORAGE")
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="cashback.settings.production", **env
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(
        "Configuration error: AWS_STORAGE_BUCKET_NAME is not set"
    )
    with_bucket = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="cashback.settings.production",
        AWS_STORAGE_BUCKET_NAME="cashback-uploads",
        **env,
    )
    assert with_bucket.returncode == 0, with_bucket.stderr
