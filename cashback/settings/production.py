"""Settings for production: every secret from the environment, HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from cashback.storage import uses_local_storage

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES, env, is_example_address

DEBUG = False
IS_PRODUCTION = True
LOGGING["handlers"]["console"]["formatter"] = env.str(  # noqa: F405
    "LOG_FORMAT", default="json"
)
try:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
except ImproperlyConfigured:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set; production needs a long random secret."
    ) from None
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak: use at least 50 random characters."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")


def required_secret(name: str, meaning: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set; production needs {meaning}.")
    return value


FIELD_ENCRYPTION_KEYS = required_secret(
    "FIELD_ENCRYPTION_KEYS", "the keys that encrypt bank details"
).split(",")
BANK_ACCOUNT_FINGERPRINT_KEY = required_secret(
    "BANK_ACCOUNT_FINGERPRINT_KEY", "the key that fingerprints bank accounts"
)
PORTAL_URL = required_secret("PORTAL_URL", "the portal's public https address")
DEFAULT_FROM_EMAIL = required_secret(
    "DEFAULT_FROM_EMAIL", "the sender of the portal's e-mails"
)
if is_example_address(DEFAULT_FROM_EMAIL):
    # Mail from a reserved example domain is refused or filtered as spam by the
    # resellers' mail servers, and replies to it go nowhere.
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL {DEFAULT_FROM_EMAIL!r} is an example address; "
        "production needs the program's own sender, e.g. "
        "'Cash Back <cashback@vendor.com>'."
    )
SERVER_EMAIL = DEFAULT_FROM_EMAIL

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's own psycopg 3 pool; it replaces persistent connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
    }

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken"

# Several machines (R27): a node without the bucket variables would keep
# invoice copies on its own disk, where no other node finds them. One machine
# (docker compose on a laptop) says so explicitly.
if uses_local_storage(STORAGES) and not env.bool(
    "ALLOW_LOCAL_FILE_STORAGE", default=False
):
    raise ImproperlyConfigured(
        "AWS_STORAGE_BUCKET_NAME is not set, so uploads would be stored on this "
        "machine's disk where other machines cannot read them. Set the bucket "
        "(docs/operations.md), or ALLOW_LOCAL_FILE_STORAGE=true for a single "
        "machine."
    )

# Behind a proxy (R27, issue 27): X-Forwarded-Proto is trusted, so the proxy
# is ours; then the client's address must come from the right hop of
# X-Forwarded-For, or rate limits and the security log see the proxy.
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=True)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not (
        env.int("TRUSTED_PROXY_COUNT", default=0)
        or env.str("TRUSTED_CLIENT_IP_HEADER", default="")
    ):
        raise ImproperlyConfigured(
            "TRUSTED_PROXY_COUNT is not set: production trusts X-Forwarded-Proto "
            "from a proxy, so it must know how many proxies append to "
            "X-Forwarded-For (or set TRUSTED_CLIENT_IP_HEADER). Without a proxy, "
            "set TRUST_X_FORWARDED_PROTO=false."
        )

STORAGES = {
    **STORAGES,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
