"""Settings shared by every environment; each value comes from the environment.

The other modules (local, test, production) start from these and change only what
their environment needs.
"""

import os
from pathlib import Path
from urllib.parse import urlparse

import bootstrap_wrapper
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from cashback.storage import object_storage_settings  # admin/storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


SUPPORTED_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


def database_from_env(default: str) -> dict:
    """Parse DATABASE_URL, turning a malformed value into one clear error."""
    url = env.str("DATABASE_URL", default=default)
    malformed = ImproperlyConfigured(
        f"DATABASE_URL {url!r} is not a valid database URL: expected "
        "postgres://user@host:port/name or sqlite:///path."
    )
    if urlparse(url).scheme not in SUPPORTED_DATABASE_SCHEMES or "://" not in url:
        raise malformed
    try:
        config = env.db_url_config(url)
    except Exception:  # django-environ raises several types
        raise malformed from None
    if not config.get("NAME"):
        raise malformed
    return config


def redis_url_from_env() -> str:
    url = env.str("REDIS_URL", default="")
    if url and urlparse(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            "REDIS_URL must start with redis://, rediss:// or unix://."
        )
    return url


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    default="django-insecure-local-only-do-not-use-in-production-0123456789",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

PROGRAM_NAME = env.str("PROGRAM_NAME", default="Cash Back")
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="cashback-support@example.com")
# The portal's public address, for links in e-mails.
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default=f"{PROGRAM_NAME} <no-reply@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Applications ----------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "simple_history",
    "cashback",
    "resellers",
    "offers",
    "claims",
    "payouts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cashback.middleware.RequestSizeLimitMiddleware",  # reliability
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cashback.middleware.UserLanguageMiddleware",
    "cashback.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "cashback.middleware.StaffMfaRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "cashback.urls"
WSGI_APPLICATION = "cashback.wsgi.application"
ASGI_APPLICATION = "cashback.asgi.application"
AUTH_USER_MODEL = "resellers.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cashback.context_processors.program",
                "cashback.context_processors.navigation",
            ],
        },
    }
]

# Data --------------------------------------------------------------------------

DATABASES = {"default": database_from_env(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)

REDIS_URL = redis_url_from_env()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # Pages keep working while Redis is down; /readyz reports it.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "cashback.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# How long a reseller page's fragments are kept (cashback.pagecache): writes
# render them afresh at once; this bounds what changes with the clock alone.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=120)

# Accounts ----------------------------------------------------------------------

# One backend: allauth's log-in by e-mail address (a ModelBackend), loading the
# session's user with the company and the verified flag in one query.
AUTHENTICATION_BACKENDS = ["resellers.auth_backends.PortalAuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"  # noqa: E501
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PROGRAM_NAME}] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# The adapter (outbox e-mail, join on verification) and the forms
# that apply the e-mail domain policy (R1).
ACCOUNT_ADAPTER = "resellers.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "resellers.forms.ResellerSignupForm",
    "add_email": "resellers.forms.PolicyAddEmailForm",
    "change_email": "resellers.forms.PolicyChangeEmailForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PROGRAM_NAME

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Internationalisation ----------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "cashback_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

# Static and media files ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", bootstrap_wrapper.get_bootstrap_dir()),
]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads on S3-compatible object storage when
# AWS_STORAGE_BUCKET_NAME (and endpoint, region, credentials) are in the
# environment, so web processes on several machines share them; local folders
# otherwise. "private" holds invoice copies and ledger uploads (cashback/storage.py).
STORAGES.update(object_storage_settings(os.environ))
# Invoice copies and ledger uploads live outside MEDIA_ROOT and have no
# URL; only views that check access serve them.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Whole-request limits checked on Content-Length before the body is
# read (cashback.middleware.RequestSizeLimitMiddleware); an invoice copy is at
# most 10 MB, the ledger uploaded in admin can be much larger.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=12 * 1024 * 1024)
ADMIN_MAX_REQUEST_BYTES = env.int("ADMIN_MAX_REQUEST_BYTES", default=1024**3)
# History is read in admin, never "reverted": a revert would write fields such
# as a status behind the services' backs.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Bank details at rest: Fernet keys, newest first; older keys still decrypt, so
# a key is rotated by putting a new one in front.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=["bG9jYWwtb25seS1rZXktbmV2ZXItcHJvZHVjdGlvbiE="],
)

# The keyed hash that spots one bank account used by two resellers (kept
# apart from the encryption keys so rotating those leaves fingerprints alone) and
# the vendor's own account that pays the pain.001 batches.
BANK_ACCOUNT_FINGERPRINT_KEY = env.str(
    "BANK_ACCOUNT_FINGERPRINT_KEY", default="local-only-fingerprint-key"
)
PAYOUT_LINK_MAX_AGE_DAYS = env.int("PAYOUT_LINK_MAX_AGE_DAYS", default=30)
PAYOUT_DEBTOR_NAME = env.str("PAYOUT_DEBTOR_NAME", default="Vendor Nordic AB")
PAYOUT_DEBTOR_IBAN = env.str("PAYOUT_DEBTOR_IBAN", default="SE4550000000058398257466")
PAYOUT_DEBTOR_BIC = env.str("PAYOUT_DEBTOR_BIC", default="ESSESESS")

# E-mail -------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))

# Celery --------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker the tasks run in the calling process, so a first run needs
# nothing but Python.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_DEFAULT_QUEUE = "cashback"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A task a killed worker held (acks_late) is handed out again by
# Redis after this many seconds; keep it above CELERY_TASK_TIME_LIMIT. The
# worker-kill test lowers it so redelivery happens within the test.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Security defaults that hold everywhere; production tightens the rest.

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Idle timeout: a session unused for this long ends (SessionActivityMiddleware
# renews it while it is used).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "cashback.cache": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        # The in-memory broker of a first run has no host; kombu says so each time.
        "kombu.connection": {"level": "WARNING" if REDIS_URL else "ERROR"},
    },
}
