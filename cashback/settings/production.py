"""Settings for production: every secret from the environment, HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, env, is_example_address

DEBUG = False
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
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
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

STORAGES = {
    **STORAGES,  # noqa: F405  (admin/storage: local or S3 uploads, from base)
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
