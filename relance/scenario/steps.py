"""A scenario's steps as stored, in order, and frozen into a run's plan."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Organisation, ScenarioStep
from relance.opening import weekdays_of
from relance.scenario.plan import PlannedStep


async def scenario_steps(session: AsyncSession, scenario_id: int) -> list[ScenarioStep]:
    return list((await session.exec(
        select(ScenarioStep).where(ScenarioStep.scenario_id == scenario_id).order_by(ScenarioStep.position)
    )).all())


def planned_step(org: Organisation, step: ScenarioStep) -> PlannedStep:
    """The step as a run keeps it, with the organisation's window and days where the step has none."""
    return PlannedStep(
        position=step.position, kind=step.kind, label=step.label, offset_days=step.offset_days,
        pause_days=step.pause_days, window_start=step.window_start or org.send_window_start,
        window_end=step.window_end or org.send_window_end, weekdays=weekdays_of(org, step.send_weekdays),
    )
