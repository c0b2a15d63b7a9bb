"""The plan of an enrolment: its frozen scenario version, its start (the anchor of its offsets), zone
and windows."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from models import MarketingEnrolment, Organisation, Scenario
from relance.marketing.types import EnrolmentPlan
from relance.opening import holidays_of
from relance.scenario.steps import planned_step, scenario_steps


async def build_plan(session: AsyncSession, org: Organisation, scenario: Scenario, enrolment: MarketingEnrolment,
                     contact_ref: str) -> EnrolmentPlan:
    country, subdivision = holidays_of(org)
    steps = await scenario_steps(session, scenario.id)
    return EnrolmentPlan(
        org_slug=org.slug, contact_ref=contact_ref, scenario_key=scenario.key, scenario_id=scenario.id,
        scenario_name=f"{scenario.name} (v{scenario.version})", enrolment_id=enrolment.id, timezone=org.timezone,
        started_at=enrolment.started_at, steps=[planned_step(org, s) for s in steps],
        holiday_country=country, holiday_subdivision=subdivision,
    )
