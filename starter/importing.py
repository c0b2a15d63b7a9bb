"""Importing data and saving templates, with the merge fields each domain declares: the importer is
shared machinery below the domains, so the domains' field lists are brought to it from here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from models import EmailTemplate
from relance.db import Database
from relance.dunning import merge_fields as invoice_fields
from relance.importing import importer
from relance.importing.format import TemplateIn
from relance.renewal import merge_fields as renewal_fields
from relance.scenario import authoring

TEMPLATE_FIELDS = importer.TemplateFields(scenario=invoice_fields.FIELDS, renewals=renewal_fields.FIELDS)


async def import_data(db: Database, raw: Any, source: str, today: date,
                      progress: Callable[[str], None] = lambda _: None) -> importer.ImportReport:
    return await importer.import_data(db, raw, source, today, TEMPLATE_FIELDS, progress)


async def import_file(db: Database, path: Path, today: date,
                      progress: Callable[[str], None] = lambda _: None) -> importer.ImportReport:
    return await importer.import_file(db, path, today, TEMPLATE_FIELDS, progress)


async def save_template(db: Database, org_slug: str, raw: Any) -> EmailTemplate:
    """A custom template may serve any use: checked against every domain's merge fields."""
    return await authoring.save_template(db, org_slug, raw, TEMPLATE_FIELDS.every)


def template_check(template: TemplateIn) -> list[str]:
    """A scenario's template (the predefined ones are), checked against the scenario's merge fields."""
    return importer.template_check(template, TEMPLATE_FIELDS.scenario)
