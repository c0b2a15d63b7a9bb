"""Preview: each step of an invoice's scenario as it would go out if its run started now."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import DunningRun
from relance.db import Database
from relance.dunning import assignment, repository
from relance.dunning.compose import compose_for_invoice
from relance.dunning.plans import build_plan
from relance.email.mailer import SesMailer
from relance.scenario.preview import PreviewStep, preview_steps


async def _scenario_of(session: AsyncSession, file: repository.InvoiceFile) -> int:
    """The run's own version when the invoice has one, else the one its run would take (assignment)."""
    run = await session.get(DunningRun, f"dunning:{file.org.slug}:{file.invoice.number}")
    if run is not None:
        return run.scenario_id
    choice = await assignment.choose(session, file.org, file.account, file.amount_due)
    if choice is None:
        raise repository.NotFound(f"organisation {file.org.slug!r} has no default scenario")
    return choice.scenario_id


async def preview_invoice(db: Database, mailer: SesMailer, org_slug: str, number: str,
                          now: datetime) -> list[PreviewStep]:
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, number)
        scenario_id = await _scenario_of(session, file)
        plan = await build_plan(session, file, scenario_id, now)
        return await preview_steps(session, plan, scenario_id, now,
                                   lambda step, at: compose_for_invoice(session, mailer, file, step, at))
