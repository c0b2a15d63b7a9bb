"""A scenario's steps as stored, in order."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ScenarioStep


async def scenario_steps(session: AsyncSession, scenario_id: int) -> list[ScenarioStep]:
    return list((await session.exec(
        select(ScenarioStep).where(ScenarioStep.scenario_id == scenario_id).order_by(ScenarioStep.position)
    )).all())
