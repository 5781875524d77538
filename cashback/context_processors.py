from django.conf import settings
from django.http import HttpRequest


def program(request: HttpRequest) -> dict[str, str | int]:
    """The program's name and support address, shown on every page (R17), and
    how long the reseller pages keep their fragments (cashback.pagecache)."""
    return {
        "PROGRAM_NAME": settings.PROGRAM_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "PAGE_CACHE_SECONDS": settings.PAGE_CACHE_SECONDS,
    }
