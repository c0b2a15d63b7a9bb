"""Preview: each step of an invoice's scenario as it would go out if its run started now."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import DunningRun
from relance.db import Database
from relance.dunning import repository
from relance.dunning.compose import compose_for_invoice
from relance.dunning.plans import build_plan
from relance.email.mailer import SesMailer
from relance.scenario.preview import PreviewStep, preview_steps


async def _scenario_of(session: AsyncSession, file: repository.InvoiceFile) -> int:
    """The run's own version when the invoice has one, else the organisation's newest default."""
    run = await session.get(DunningRun, f"dunning:{file.org.slug}:{file.invoice.number}")
    scenario_id = run.scenario_id if run else file.org.default_scenario_id
    if scenario_id is None:
        raise repository.NotFound(f"organisation {file.org.slug!r} has no default scenario")
    return scenario_id


async def preview_invoice(db: Database, mailer: SesMailer, org_slug: str, number: str,
                          now: datetime) -> list[PreviewStep]:
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, number)
        scenario_id = await _scenario_of(session, file)
        plan = await build_plan(session, file, scenario_id, now)
        return await preview_steps(session, plan, scenario_id, now,
                                   lambda step, at: compose_for_invoice(session, mailer, file, step, at))
