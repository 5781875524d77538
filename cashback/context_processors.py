from django.conf import settings
from django.http import HttpRequest


def program(request: HttpRequest) -> dict[str, str]:
    """The program's name and support address, shown on every page (R17)."""
    return {
        "PROGRAM_NAME": settings.PROGRAM_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
    }
