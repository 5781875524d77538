"""Every write about users and reseller companies."""

from django.conf import settings

from .models import User


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's language for pages and e-mails; unknown codes are ignored."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
