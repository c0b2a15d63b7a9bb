"""Importing data and saving templates, with the merge fields each domain declares: the importer is
shared machinery below the domains, so the domains' field lists are brought to it from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from temporalio.client import Client

from models import EmailTemplate
from relance.agency import merge_fields as agency_fields
from relance.config import Settings
from relance.db import Database
from relance.dunning import merge_fields as invoice_fields
from relance.importing import importer
from relance.importing.format import TemplateIn
from relance.marketing import merge_fields as marketing_fields
from relance.pipeline import merge_fields as pipeline_fields
from relance.renewal import merge_fields as renewal_fields
from relance.scenario import authoring
from starter import documents
from starter.agency import after_import, ensure_drafting_schedule
from starter.dunning import invoice_updated, start_missing_runs, wake_held_runs
from starter.marketing import wake_after_import
from starter.schedule import ensure_renewal_schedule, ensure_sweep_schedule

TEMPLATE_FIELDS = importer.TemplateFields(scenario=invoice_fields.FIELDS, renewals=renewal_fields.FIELDS,
                                          marketing=marketing_fields.FIELDS, pipeline=pipeline_fields.FIELDS,
                                          agency=agency_fields.FIELDS)


async def import_data(db: Database, raw: Any, source: str, today: date,
                      progress: Callable[[str], None] = lambda _: None,
                      *, dry_run: bool = False) -> importer.ImportReport:
    """A dry run writes nothing and starts nothing: its report's `changes` say what the import would do."""
    return await importer.import_data(db, raw, source, today, TEMPLATE_FIELDS, progress, dry_run=dry_run)


async def import_file(db: Database, path: Path, today: date, progress: Callable[[str], None] = lambda _: None,
                      *, dry_run: bool = False) -> importer.ImportReport:
    return await importer.import_file(db, path, today, TEMPLATE_FIELDS, progress, dry_run=dry_run)


@dataclass
class ImportOutcome:
    report: importer.ImportReport
    runs_started: int = 0
    marketing_runs_woken: int = 0  # ended by the import at once: a scenario switched off, a contact opted out
    schedules: list[str] = field(default_factory=list)
    drafts_withdrawn: int = 0


async def import_and_start(client: Client, db: Database, task_queue: str, sweep_cron: str, raw: Any, source: str,
                           today: date, progress: Callable[[str], None] = lambda _: None,
                           settings: Settings | None = None) -> ImportOutcome:
    """Import, then what the host application owes the runs: start the runs of the organisations that
    apply dunning to new invoices (through their sweep, a workflow: an interrupted import loses nothing,
    and a re-import or the nightly sweep starts whatever one left without its run), wake the runs of
    changed invoices (or start again those that ended in payment or not to be reminded, if they can be
    reminded now), the held runs of accounts no longer excluded and the marketing runs the import ends,
    keep the nightly Schedules current (in each organisation's zone). With `settings`, the invoices'
    document_url are fetched and checked first (a bad one refuses the import) and kept once it is written;
    without, they are left out."""
    fetched = await documents.fetch_for_import(settings, db, raw, source) if settings else []
    report = await import_data(db, raw, source, today, progress)
    await documents.keep_for_import(settings, db, fetched)
    outcome = ImportOutcome(report)
    for org in report.organisations:
        if org.dunning_enabled and org.dunning_apply_to_new_invoices:
            progress(f"{org.slug}: starting the runs of its invoices")
            outcome.runs_started += (await start_missing_runs(client, task_queue, org.slug)).started
    for org, number in report.changed_invoices:
        await invoice_updated(client, db, task_queue, org, number)
    for org, refs in report.readmitted_accounts.items():
        await wake_held_runs(client, db, org, refs)
    outcome.marketing_runs_woken = await wake_after_import(client, db, report)
    for org in report.organisations:
        for ensure in (ensure_sweep_schedule, ensure_renewal_schedule):
            outcome.schedules.append((await ensure(client, org.slug, org.timezone, sweep_cron, task_queue)).id)
    outcome.drafts_withdrawn = await after_import(client, db, task_queue, report)
    for written in report.agencies:
        org_slug = next(o.slug for o in report.organisations if o.id == written.agency.org_id)
        outcome.schedules.append((await ensure_drafting_schedule(client, org_slug, written.agency, sweep_cron,
                                                                 task_queue)).id)
    return outcome


# What a template is for, and the merge fields that use fills in.
TEMPLATE_USES = {"dunning": TEMPLATE_FIELDS.scenario, "renewal": TEMPLATE_FIELDS.renewals,
                 "marketing": TEMPLATE_FIELDS.marketing, "pipeline": TEMPLATE_FIELDS.pipeline}


async def save_template(db: Database, org_slug: str, raw: Any, use: str | None = None) -> EmailTemplate:
    """A custom template, checked against the merge fields of its use (`TEMPLATE_USES`); without one it
    may serve any use, so every domain's fields are known."""
    return await authoring.save_template(db, org_slug, raw, TEMPLATE_USES[use] if use else TEMPLATE_FIELDS.every)


def template_check(template: TemplateIn) -> list[str]:
    """A scenario's template (the predefined ones are), checked against the scenario's merge fields."""
    return importer.template_check(template, TEMPLATE_FIELDS.scenario)
