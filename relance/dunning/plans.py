"""The plan of a run (its frozen scenario, due date, zone and windows), built the same way for the
workflow, the preview and the forecast."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Scenario, ScenarioStep
from relance.dunning import repository
from relance.dunning.types import RunPlan
from relance.opening import holidays_of, weekdays_of
from relance.scenario.plan import PlannedStep

# Built once: every run's start reads it (bench/).
_SCENARIO_WITH_STEPS = (
    select(Scenario, ScenarioStep)
    .outerjoin(ScenarioStep, ScenarioStep.scenario_id == Scenario.id)
    .where(Scenario.id == bindparam("scenario_id"))
    .order_by(ScenarioStep.position)
)


async def build_plan(session: AsyncSession, file: repository.InvoiceFile, scenario_id: int,
                     started_at: datetime) -> RunPlan:
    """One query: the scenario with its steps (a scenario without steps comes back as one row)."""
    org = file.org
    rows = (await session.exec(_SCENARIO_WITH_STEPS, params={"scenario_id": scenario_id})).all()
    if not rows:
        raise repository.NotFound(f"scenario {scenario_id} not found")
    scenario = rows[0][0]
    country, subdivision = holidays_of(org)
    return RunPlan(
        org_slug=org.slug,
        invoice_number=file.invoice.number,
        customer_ref=file.account.ref,
        scenario_id=scenario_id,
        scenario_name=f"{scenario.name} (v{scenario.version})",
        timezone=org.timezone,
        holiday_country=country,
        holiday_subdivision=subdivision,
        due_date=file.invoice.due_date,
        started_at=started_at,
        steps=[
            PlannedStep(
                position=s.position, kind=s.kind, label=s.label, offset_days=s.offset_days,
                pause_days=s.pause_days, window_start=s.window_start or org.send_window_start,
                window_end=s.window_end or org.send_window_end, weekdays=weekdays_of(org, s.send_weekdays),
            )
            for _, s in rows if s is not None
        ],
    )
