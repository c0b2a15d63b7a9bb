"""Predefined reminder templates (French and English), shipped in relance/scenario/templates/predefined.yaml.

A scenario step names one as `fr/first_reminder`; the organisation gets its own copy the first time,
which it may then edit like any custom template.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from relance.importing.format import TemplateIn

FILE = Path(__file__).parent / "templates" / "predefined.yaml"


@cache
def templates() -> dict[str, TemplateIn]:
    raw = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    return {key: TemplateIn(key=key, **fields) for key, fields in raw.items()}


def for_locale(locale: str, kind: str) -> str:
    """The predefined template key of a kind for a locale, French when the language has none."""
    key = f"{locale.split('_')[0]}/{kind}"
    return key if key in templates() else f"fr/{kind}"
