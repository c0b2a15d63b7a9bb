"""Preview: each step of an invoice's scenario as it would go out if its run started now."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import DunningRun
from relance import calendar
from relance.db import Database
from relance.dunning import repository
from relance.dunning.compose import compose_for_invoice
from relance.dunning.plans import build_plan
from relance.email.mailer import SesMailer
from relance.scenario import timing
from relance.scenario.preview import PreviewStep
from relance.scenario.steps import scenario_steps


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
        rows = {s.position: s for s in await scenario_steps(session, scenario_id)}
        out = []
        for position, at in timing.upcoming(plan, 0, now, None):
            step, local = rows[position], calendar.in_zone(at, plan.timezone)
            line = PreviewStep(position, step.kind, step.label, local)
            if step.kind == "action":
                line.subject = f"task: {step.task_title or step.label} (due {step.task_due_days} day(s) later)"
            else:
                composed = await compose_for_invoice(session, mailer, file, step, at)
                line.sender = composed.sender
                if composed.email is None:
                    line.not_sent = f"{composed.reason}: {composed.detail}"
                else:
                    email = composed.email
                    line.recipient, line.subject, line.body = email.to, email.subject, email.text
            out.append(line)
    return out
