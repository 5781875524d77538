"""Settings shared by every environment; each value comes from the environment.

The other modules (local, test, production) start from these and change only what
their environment needs.
"""

import os
from email.utils import parseaddr
from urllib.parse import urlparse

import bootstrap_wrapper
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from cashback.storage import object_storage_settings  # admin/storage

from .environment import BASE_DIR, VAR_DIR, env

# Payments, the bank and the vendor's documents (payouts, statements), in a
# module of their own.
from .payments import *  # noqa: F403
from .payments import BANK_INBOUND_STORAGE, BANK_OUTBOUND_STORAGE

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


# Domains reserved for examples (RFC 2606): no real mailbox lives there.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")


def is_example_address(value: str) -> bool:
    """Whether an address such as 'Name <x@example.com>' is on an example domain."""
    domain = parseaddr(value)[1].rpartition("@")[2].lower()
    return any(
        domain == example or domain.endswith(f".{example}")
        for example in EXAMPLE_DOMAINS
    )


def redis_url_from_env() -> str:
    url = env.str("REDIS_URL", default="")
    if url and urlparse(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            "REDIS_URL must start with redis://, rediss:// or unix://."
        )
    return url


DEBUG = env.bool("DJANGO_DEBUG", default=False)
# True only in cashback.settings.production: what must never happen there
# (the demo's accounts, local file storage by accident) checks this.
IS_PRODUCTION = False
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
# The sender of every e-mail; production refuses the example default.
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
    "allauth.socialaccount",  # microsoft: sign-in with Entra ID (resellers.microsoft)
    "allauth.socialaccount.providers.openid_connect",
    "django_celery_beat",
    "simple_history",
    "cashback",
    "resellers",
    "offers",
    "claims",
    "payouts",
    "statements",
    "portal",
    "portal.privacy",
]

MIDDLEWARE = [
    # First: the request id on every log line, and the access log (issue 32).
    "cashback.request_log.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # reliability: after the user is known (only staff may send the ledger's
    # large bodies); nothing above reads the body.
    "cashback.middleware.RequestSizeLimitMiddleware",
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
                "cashback.context_processors.assets",
            ],
        },
    }
]

# Data --------------------------------------------------------------------------

DATABASES = {"default": database_from_env(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)

REDIS_URL = redis_url_from_env()
# The cache table in PostgreSQL that the Redis cache falls back to while Redis
# is down (cashback/cache.py: log-in rate limits keep working); created by
# the release step (manage.py createcachetable).
FALLBACK_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "cashback_cache_fallback",
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "cashback.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        },
        "fallback": FALLBACK_CACHE,
    }
    DJANGO_REDIS_LOGGER = "cashback.cache"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "fallback": FALLBACK_CACHE,
    }

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
# microsoft: sign-in with a Microsoft work account (Entra ID, OpenID Connect), R23.
# Without a client id no provider is configured and no button shows. The
# identity is the tenant and object id; an address already in use is linked
# only after its password is given (never merged by e-mail).
MICROSOFT_CLIENT_ID = env.str("MICROSOFT_CLIENT_ID", default="")
MICROSOFT_CLIENT_SECRET = env.str("MICROSOFT_CLIENT_SECRET", default="")
MICROSOFT_AUTHORITY = env.str(
    "MICROSOFT_AUTHORITY",
    default="https://login.microsoftonline.com/organizations/v2.0",
)
SOCIALACCOUNT_ADAPTER = "resellers.microsoft.MicrosoftSocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "resellers.microsoft.MicrosoftSignupForm"}


def microsoft_app(*, client_id: str, secret: str, authority: str) -> dict:
    """allauth's OpenID Connect app for Entra ID (the tests point it elsewhere)."""
    return {
        "provider_id": "microsoft",
        "name": "Microsoft",
        "client_id": client_id,
        "secret": secret,
        "settings": {
            "server_url": authority,
            # Entra's userinfo lacks the tenant, object id and verified-domain
            # claims: the ID token has them.
            "fetch_userinfo": False,
            "token_auth_method": "client_secret_post",
        },
    }


def csp_allowing_authority(csp: dict, authority: str) -> dict:
    """The policy, with the authority's origin allowed as a form target.

    The button's form is answered with a redirect to the authority, and
    browsers check that redirect against `form-action`.
    """
    parts = urlparse(authority)
    origin = f"{parts.scheme}://{parts.netloc}"
    return {**csp, "form-action": [*csp["form-action"], origin]}


SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": [
            microsoft_app(
                client_id=MICROSOFT_CLIENT_ID,
                secret=MICROSOFT_CLIENT_SECRET,
                authority=MICROSOFT_AUTHORITY,
            )
        ]
        if MICROSOFT_CLIENT_ID
        else [],
        "OAUTH_PKCE_ENABLED": True,
    }
}
SOCIALACCOUNT_AUTO_SIGNUP = False  # the company form comes first, always
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False
# end microsoft
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PROGRAM_NAME
# Staff enrol their authenticator only through a link an administrator sends
# (cashback.staff_enrolment); it works this long.
STAFF_MFA_ENROLMENT_MAX_AGE_HOURS = env.int(
    "STAFF_MFA_ENROLMENT_MAX_AGE_HOURS", default=72
)
# E-mail changes (and other sensitive account changes) need the password or
# the second factor again; users are told of every security change.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Client IPs behind the proxy, for the rate limits, the security log and the
# IP recorded with accepted terms (cashback.security.client_ip): the number of
# proxies we run that append to X-Forwarded-For, or a header the proxy sets.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = (
    env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None
)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Internationalisation ----------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "cashback_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
TIME_ZONE = "Europe/Stockholm"
# One date format per language everywhere (cashback/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["cashback.formats"]
USE_I18N = True
USE_TZ = True

# Static and media files ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
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

# A colleague who joins a company by its e-mail domain waits for a company
# admin's approval before reaching bank details, colleagues' claims and the
# company settings; False lets joining by domain approve at once (R20).
COMPANY_MEMBERS_NEED_APPROVAL = env.bool("COMPANY_MEMBERS_NEED_APPROVAL", default=True)
# A ledger import that adds at least this many rows (and is most of the
# ledger after it) drops the ledger's foreign keys and re-adds them in one
# set-based check, as pg_restore does; it then blocks readers of the ledger
# (claim validation) and of the code tables (segments, licence types,
# products) until it commits (claims.ledger_import, PostgreSQL only).
LEDGER_IMPORT_BULK_ROWS = env.int("LEDGER_IMPORT_BULK_ROWS", default=100_000)
# A reward adjustment above this amount (in the claim's reward currency), or
# above the computed reward, waits for a second reviewer (claims.services.corrections).
REWARD_ADJUSTMENT_CONFIRM_ABOVE = env.str(
    "REWARD_ADJUSTMENT_CONFIRM_ABOVE", default="10000"
)
# Personal data (R26, portal/privacy/): how long each kind is kept. Accounting
# records (invoice copies, ledger uploads, bank files) until the end of this
# many years after the financial year of the payment (Bokföringslagen 7 kap.
# 2 §); an account whose address was never verified this many days; expired
# sessions and security-log rows; a person's copy of their data.
PRIVACY_ACCOUNTING_YEARS = env.int("PRIVACY_ACCOUNTING_YEARS", default=7)
PRIVACY_UNVERIFIED_ACCOUNT_DAYS = env.int("PRIVACY_UNVERIFIED_ACCOUNT_DAYS", default=30)
PRIVACY_SESSION_RETENTION_DAYS = env.int("PRIVACY_SESSION_RETENTION_DAYS", default=30)
PRIVACY_SECURITY_LOG_RETENTION_DAYS = env.int(
    "PRIVACY_SECURITY_LOG_RETENTION_DAYS", default=730
)
PRIVACY_EXPORT_VALID_DAYS = env.int("PRIVACY_EXPORT_VALID_DAYS", default=7)
# The bank connection's two folders (cashback/settings/payments.py).
STORAGES["bank_outbound"] = BANK_OUTBOUND_STORAGE
STORAGES["bank_inbound"] = BANK_INBOUND_STORAGE

# E-mail -------------------------------------------------------------------------

# Sent e-mails holding password-reset, confirmation or enrolment links are
# deleted from the outbox this many days after they went out.
OUTBOX_LINK_RETENTION_DAYS = env.int("OUTBOX_LINK_RETENTION_DAYS", default=7)

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
# One scheduler at a time with failover (cashback/scheduler.py): beats on
# several machines share a lease in Redis; the holder sends, the others wait
# and take over within BEAT_LEASE_SECONDS. Last run times are written before
# every send so the next holder never sends a tick again.
CELERY_BEAT_SCHEDULER = "cashback.scheduler:LeasedDatabaseScheduler"
CELERY_BEAT_SYNC_EVERY = 1
BEAT_LEASE_SECONDS = env.int("BEAT_LEASE_SECONDS", default=30)
BEAT_LEASE_KEY = env.str("BEAT_LEASE_KEY", default="cashback:beat:lease")
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
if MICROSOFT_CLIENT_ID:  # microsoft
    SECURE_CSP = csp_allowing_authority(SECURE_CSP, MICROSOFT_AUTHORITY)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Idle timeout: a session unused for this long ends (SessionActivityMiddleware
# renews it while it is used).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Absolute lifetime: however busy, a session ends this long after its log-in
# (cashback.middleware.SessionActivityMiddleware).
SESSION_ABSOLUTE_LIFETIME_SECONDS = env.int(
    "SESSION_ABSOLUTE_LIFETIME_SECONDS", default=12 * 60 * 60
)

# One line per event. LOG_FORMAT=json (production's default): JSON with a UTC
# timestamp, the level, the logger, the request id and the event's fields
# (route, status, duration_ms, user_id for the access log); a traceback is a
# field of its line. "plain" for a person reading a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "cashback.request_log.RequestIdFilter"},
        "redact_path": {"()": "cashback.request_log.RedactRequestPathFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
        },
        "json": {"()": "cashback.request_log.JsonLogFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact_path"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "cashback.cache": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        # WeasyPrint logs each of its seven steps per PDF (statements/).
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # The in-memory broker of a first run has no host; kombu says so each time.
        "kombu.connection": {"level": "WARNING" if REDIS_URL else "ERROR"},
    },
}
