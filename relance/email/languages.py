"""The reader's language: which translation of a template they get, and the locale their dates and
amounts are written in. One rule for the agency's guests and the dunning's customers."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError


def locale_of(language: str, fallback: str = "fr_FR") -> str:
    """Dates and amounts in the reader's language (fr: 24/11/2026, 1 234,56 €; en: Nov 24, 2026, €1,234.56);
    `fallback` when the language is unknown."""
    try:
        return str(Locale.parse(language.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return fallback


def preferred(language: str) -> list[str]:
    """The languages a template may be in for this reader, best first: nl-BE, then nl."""
    primary = language.split("-", 1)[0]
    return [language] if primary == language else [language, primary]
