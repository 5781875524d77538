import functools

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

# The layout's own static files, as `ASSETS.<name>`.
LAYOUT_ASSETS = {
    "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
    "portal_css": "css/portal.css",
    "bootstrap_js": "vendor/bootstrap/js/bootstrap.bundle.min.js",
}

# The layout's links: the navigation, the language switch, log-in and log-out.
NAVIGATION = {
    "home": "home",
    "dashboard": "dashboard",
    "offers": "offers:list",
    "claims": "claims:list",
    "payouts": "payouts:list",
    "company": "resellers:company",
    "account": "privacy:account",
    "language_switch": "language_switch",
    "login": "account_login",
    "logout": "account_logout",
    "signup": "account_signup",
}


def program(request: HttpRequest) -> dict[str, str]:
    """The program's name and support address, shown on every page (R17)."""
    return {
        "PROGRAM_NAME": settings.PROGRAM_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
    }


def navigation(request: HttpRequest) -> dict[str, dict[str, str]]:
    """The layout's links as `NAV.<name>`, reversed once per URL configuration:
    ten `{% url %}` tags were a third of rendering the layout on every page."""
    return {
        "NAV": _navigation(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    }


@functools.lru_cache(maxsize=16)
def _navigation(script_prefix: str, urlconf: str) -> dict[str, str]:
    return {key: reverse(name, urlconf=urlconf) for key, name in NAVIGATION.items()}


def assets(request: HttpRequest) -> dict[str, dict[str, str]]:
    """The layout's static files' URLs as `ASSETS.<name>`, looked up once per
    static set-up: three `{% static %}` tags were about 60 µs of every page's
    render (issue 33)."""
    return {
        "ASSETS": _assets(
            settings.STATIC_URL, repr(settings.STORAGES.get("staticfiles"))
        )
    }


@functools.lru_cache(maxsize=16)
def _assets(static_url: str, storage: str) -> dict[str, str]:
    # The manifest storage reads its manifest once per process, so a URL
    # found once stays right until the settings above change.
    return {key: static(path) for key, path in LAYOUT_ASSETS.items()}
