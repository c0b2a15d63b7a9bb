"""Forecast: what will be sent in the next N days for an organisation. Running runs report their
plan and progress (query `progress`); invoices that tonight's sweep will enter are planned from the
sweep's own selection. Both go through relance.scenario.timing, the workflow's timing code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta

from sqlmodel import select

from models import DunningRun, Invoice
from relance import calendar
from relance.db import Database
from relance.dunning import repository, rules
from relance.dunning.plans import build_plan
from relance.dunning.types import RunProgress
from relance.scenario import timing
from relance.scenario.plan import RunState, step_name

SWEEP_TIME = time(2, 0)  # the nightly Schedule's hour in the organisation's zone


@dataclass
class ForecastLine:
    at: datetime
    invoice: str
    customer: str
    step: str
    kind: str
    recipient: str | None
    source: str  # running | tonight | held (resumes when dunning is switched on)

    def as_json(self) -> dict:
        return {**asdict(self), "at": calendar.iso(self.at)}


async def forecast(db: Database, progress_of: Callable[[str], Awaitable[RunProgress]], org_slug: str,
                   now: datetime, days: int, as_if_enabled: bool = False) -> list[ForecastLine]:
    """`progress_of(workflow_id)` asks a running run for its plan and progress (the `progress` query).
    `as_if_enabled`: what would go if dunning were switched on now (seed 001: check before activating),
    whether it is on or off: held runs resume now (source `held`), tonight's sweep enters the overdue."""
    horizon = now + timedelta(days=days)
    lines: list[ForecastLine] = []
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        if not (org.dunning_enabled or as_if_enabled):
            return lines  # switched off, no reminder leaves: a run holds at its next step
        running = (await session.exec(select(DunningRun.workflow_id, Invoice.number, DunningRun.state).join(
            Invoice, Invoice.id == DunningRun.invoice_id).where(
            DunningRun.org_id == org.id, DunningRun.ended_at.is_(None)))).all()
    for workflow_id, number, state in running:
        progress = await progress_of(workflow_id)
        if progress.index is None or progress.next_at is None:
            continue
        previous = None
        if progress.previous_position is not None:
            previous = timing.Progress(progress.previous_position, progress.previous_done_at,
                                       progress.previous_ideal_at)
        resumes = as_if_enabled and state == RunState.HELD
        next_at = timing.send_time(progress.plan, progress.index, now, now) if resumes else progress.next_at
        steps = timing.upcoming(progress.plan, progress.index, now, previous, next_at, horizon)
        lines += await _lines(db, org_slug, number, progress.plan, steps, "held" if resumes else "running")

    tonight = calendar.at_local(calendar.local_today(now, org.timezone) + timedelta(days=1), SWEEP_TIME, org.timezone)
    if org.default_scenario_id and tonight <= horizon:
        async with db.session() as session:
            entering = await repository.overdue_without_run(session, org.id, tonight.date(), 0, 100_000)
            plans = [await build_plan(session, await repository.invoice_file(session, org_slug, row.number),
                                      org.default_scenario_id, tonight) for row in entering]
        for plan in plans:
            steps = timing.upcoming(plan, 0, tonight, None, until=horizon)
            lines += await _lines(db, org_slug, plan.invoice_number, plan, steps, "tonight")
    return sorted(lines, key=lambda line: (line.at, line.invoice))


async def _lines(db: Database, org_slug: str, number: str, plan, steps, source: str) -> list[ForecastLine]:
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, number)
    recipient = rules.pick_recipient(file.invoice, file.account, file.contacts)
    return [ForecastLine(calendar.in_zone(at, plan.timezone), number, plan.customer_ref,
                         step_name(position, plan.steps[position].label), plan.steps[position].kind,
                         recipient.email if recipient and plan.steps[position].kind == "email" else None, source)
            for position, at in steps]
