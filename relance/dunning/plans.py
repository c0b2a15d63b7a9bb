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
from relance.opening import holidays_of
from relance.scenario.steps import planned_step

# Built once: every run's start reads it (bench/).
_SCENARIO_WITH_STEPS = (
    select(Scenario, ScenarioStep)
    .outerjoin(ScenarioStep, ScenarioStep.scenario_id == Scenario.id)
    .where(Scenario.id == bindparam("scenario_id"))
    .order_by(ScenarioStep.position)
)


async def build_plan(session: AsyncSession, file: repository.InvoiceFile, scenario_id: int,
                     started_at: datetime, scenario_choice: str | None = None) -> RunPlan:
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
        steps=[planned_step(org, s) for _, s in rows if s is not None],
        scenario_choice=scenario_choice,
        one_email_per_customer=org.dunning_one_email_per_customer,
    )
