"""The catalogues of the pages and emails relance writes itself (relance/locale) are complete and match
the sources: every message extracted by babel.cfg is in each language's .po, translated (every plural
form), with the same placeholders; nothing stale is left in them. `make test` runs this, so a message
added to a page without its translation fails the suite. `make catalogues` brings the .po files up to
date; the missing translations are then written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from relance import i18n

ROOT = Path(__file__).resolve().parent.parent


def extracted() -> Catalog:
    """The messages of the sources, as `pybabel extract -F babel.cfg` finds them."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalogue = Catalog()
    for _, _, message, comments, context in extract_from_dir(ROOT, method_map, options_map):
        catalogue.add(message, None, auto_comments=comments, context=context)
    return catalogue


def catalogue_of(language: str) -> Catalog:
    with open(i18n.CATALOGUES / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def sources() -> Catalog:
    return extracted()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_of_the_sources_is_in_the_catalogue_and_nothing_else(sources, language):
    catalogue = catalogue_of(language)
    wanted = {m.id for m in sources if m.id}
    present = {m.id for m in catalogue if m.id}
    assert sorted(map(str, wanted - present)) == [], f"not in {language}: run `make catalogues` and translate"
    assert sorted(map(str, present - wanted)) == [], f"no longer in the sources, still in {language}"
    assert list(catalogue.obsolete) == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language):
    catalogue = catalogue_of(language)
    untranslated = [m.id for m in catalogue if m.id and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]
    assert untranslated == [], f"untranslated in {language}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert problems == []
    assert len([m for m in catalogue if m.id]) > 100  # the outbox, its errors and the emails


def test_the_catalogue_in_use_is_the_one_on_disk():
    """relance.i18n compiles the .po files: what a page shows is what the file says."""
    french = catalogue_of("fr")
    _ = i18n.gettext_in("fr")
    assert all(_(m.id) == m.string for m in french if m.id and not isinstance(m.id, tuple))
    assert _("Arrival reminders") == "Rappel arrivées"  # seed 003's tab names
    assert _("Balance reminders") == "Rappel solde" and _("Option expirations") == "Expiration Options"
