"""What people read in their own language: the pages and emails relance writes itself, in French or
English from gettext catalogues (relance/locale/<language>/LC_MESSAGES/messages.po, extracted with
babel.cfg), and dates and amounts in the reader's language and region.

The catalogues are compiled in memory when first used: the .po files are the only copy, so no compiled
file can lag behind them (tests/test_catalogues.py checks they are complete and match the sources)."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.localedata import exists as locale_exists
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"  # the users are French businesses
CATALOGUES = Path(__file__).parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for "translated later, where it is read")
    """Marks a message for extraction; whoever shows it translates it in the reader's language."""
    return message


def language_of(tag: str | None) -> str:
    """The language relance writes for a locale or language tag ("fr_FR", "en-GB", "EN"): French or
    English, French when it is neither."""
    first = (tag or "").replace("-", "_").split("_")[0].strip().lower()
    return first if first in LANGUAGES else DEFAULT_LANGUAGE


def country_of(locale: str | None) -> str | None:
    """The region of a locale ("fr_FR" -> "FR"), None when it names none."""
    try:
        return Locale.parse((locale or "").replace("-", "_")).territory
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def reading_locale(language: str | None, region_of: str | None) -> str:
    """The locale dates and amounts are written in for a reader of `language` where the organisation of
    locale `region_of` is: English in France reads 09/12/2026 and 1,234.56 € (en_FR), not 12/9/26.
    Without such a locale, the language's own; French when the language is unknown."""
    try:
        spoken = Locale.parse((language or "").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return "fr_FR"
    country = country_of(region_of)
    if country and locale_exists(f"{spoken.language}_{country}"):
        return f"{spoken.language}_{country}"
    return str(spoken)


def negotiate(accept_language: str | None) -> str:
    """The language of a browser's Accept-Language header among relance's (French when none fits)."""
    found = Locale.negotiate(_preferred(accept_language or ""), list(LANGUAGES), sep="-")
    return language_of(str(found)) if found else DEFAULT_LANGUAGE


def _preferred(header: str) -> list[str]:
    """The header's languages, most wanted first (q values honoured, bounded)."""
    ranked = []
    for index, part in enumerate(header.split(",")[:20]):
        name, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        if name and weight > 0:
            ranked.append((-weight, index, name.strip()))
    return [name for _, _, name in sorted(ranked)]


@functools.cache
def translations(language: str) -> Translations:
    """The catalogue of `language` (one of LANGUAGES), compiled from its .po file once per process."""
    language = language_of(language)
    with open(CATALOGUES / language / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as po:
        catalogue = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext_in(language: str) -> Callable[..., str]:
    """`_` for a reader of `language`: `_("Hello %(name)s", name=...)`, placeholders filled from keywords.
    Bound to the name `_` where it is used, so extraction (babel.cfg, default keywords) finds the messages."""
    catalogue = translations(language)

    def _(message: str, **params: object) -> str:
        text = catalogue.gettext(message)
        return text % params if params else text

    return _


def ngettext_in(language: str) -> Callable[..., str]:
    """`ngettext` for a reader of `language`: the singular or plural for `n`, %(num)s being `n`."""
    catalogue = translations(language)

    def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
        return catalogue.ngettext(singular, plural, n) % {"num": n, **params}

    return ngettext
