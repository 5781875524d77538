"""The country list as the reader reads it: every name in the active language
and in that language's alphabetical order (issue 28: the Swedish list mixed
English names in and put Åland among the A's).

django-countries knows the codes; its Swedish catalogue misses names, so the
names come from the CLDR data that babel ships. Swedish sorts å, ä and ö
after z and ignores other accents.
"""

import unicodedata

from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language
from django_countries import countries

# Letters a language sorts after z, in its order.
_AFTER_Z = {"sv": "åäö", "fi": "åäö", "da": "æøå", "nb": "æøå"}


def _sort_key(name: str, language: str) -> str:
    after_z = _AFTER_Z.get(language, "")
    key = []
    for char in name.casefold():
        if char in after_z:
            key.append(chr(ord("z") + 1 + after_z.index(char)))
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        key.append(base)
    return "".join(key)


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every country, named and sorted in the active language."""
    language = (get_language() or "en").split("-")[0]
    try:
        names = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        names = {}
    choices = [(code, names.get(code) or str(name)) for code, name in countries]
    return sorted(choices, key=lambda choice: _sort_key(choice[1], language))


def country_name(code: str) -> str:
    """One country's name in the active language."""
    return dict(country_choices()).get(code, str(countries.name(code)))
