"""Start and drive a scenario simulation ("Simuler"): one per organisation and internal user."""

from __future__ import annotations

from sqlmodel import select
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from models import AppUser, Organisation, Scenario
from relance import repository
from relance.db import Database
from relance.simulation.types import SimulationInput
from relance.temporal.revision import REVISION
from workflows.simulation import ScenarioSimulationWorkflow


async def _user(session, org: Organisation, email: str) -> AppUser:
    user = (await session.exec(select(AppUser).where(AppUser.org_id == org.id, AppUser.email == email))).first()
    if user is None:
        raise repository.NotFound(f"{email!r} is not a user of organisation {org.slug!r}: simulate for an "
                                  "internal contact only, the emails are really sent")
    return user


async def simulation_handle(client: Client, db: Database, org_slug: str, user_email: str) -> WorkflowHandle:
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        user = await _user(session, org, user_email)
    return client.get_workflow_handle(f"simulation:{org_slug}:{user.id}")


async def start_simulation(client: Client, db: Database, task_queue: str, org_slug: str, user_email: str,
                           scenario_key: str | None = None) -> WorkflowHandle:
    """Simulate the newest version of a scenario (default: the organisation's) for a user; a simulation
    already going for that user is returned as it is."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        user = await _user(session, org, user_email)
        if scenario_key is None:
            scenario = await session.get(Scenario, org.default_scenario_id) if org.default_scenario_id else None
        else:
            scenario = (await session.exec(select(Scenario).where(
                Scenario.org_id == org.id, Scenario.key == scenario_key).order_by(Scenario.version.desc()))).first()
        if scenario is None:
            raise repository.NotFound(f"organisation {org_slug!r} has no scenario {scenario_key or '(default)'!r}")
    return await client.start_workflow(
        ScenarioSimulationWorkflow.run, SimulationInput(org_slug, scenario.id, user_email, REVISION),
        id=f"simulation:{org_slug}:{user.id}", task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Simulation of scenario {scenario.key} v{scenario.version} ({org_slug})",
    )
