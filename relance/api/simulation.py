"""The simulation of a scenario (seed 001, "Simuler"): for one internal user, who receives every email;
each step runs when asked ("Exécuter"), pauses included. The same functions as `relance simulate …`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from relance import limits
from relance.api.auth import organisation
from relance.api.limits import Reference
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.scenario.plan import step_name, step_number
from relance.simulation.types import StepReport
from starter.simulation import simulation_handle, start_simulation
from workflows.simulation import ScenarioSimulationWorkflow

router = APIRouter(prefix="/v1", tags=["simulation"], responses=documented(401, 403, 404, 409, 413, 422, 503))
User = Annotated[str, Path(min_length=3, max_length=limits.MAX_ID_LENGTH, description="the user's email")]


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: Reference = Field(description="an internal user's email: every email of the scenario really goes there")
    scenario: Reference | None = Field(default=None, description="a scenario's key; default: the organisation's")


class StepOut(BaseModel):
    step: int = Field(description="the step's number, from 1, pauses included")
    name: str
    kind: str
    outcome: str = Field(description="sent | not_sent | skipped_pause | task_not_created")
    detail: str | None
    message_id: str | None


class SimulationOut(BaseModel):
    workflow_id: str
    scenario_name: str
    stopped: bool
    next_step: int | None
    next_name: str | None
    done: list[StepOut]


def _step(r: StepReport) -> StepOut:
    return StepOut(step=step_number(r.position), name=step_name(r.position, r.label), kind=r.kind,
                   outcome=r.outcome, detail=r.detail, message_id=r.message_id)


async def _state(handle: WorkflowHandle) -> SimulationOut:
    try:
        status = await handle.query(ScenarioSimulationWorkflow.status)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ProblemError(404, "no simulation for this user: start one") from exc
        raise
    upcoming = status.next_position
    return SimulationOut(workflow_id=handle.id, scenario_name=status.scenario_name, stopped=status.stopped,
                         next_step=step_number(upcoming) if upcoming is not None else None,
                         next_name=step_name(upcoming, status.next_label) if upcoming is not None else None,
                         done=[_step(r) for r in status.reports])


@router.post("/simulations", response_model=SimulationOut, status_code=201)
async def start(body: StartBody, org: str = Depends(organisation), svc: Services = Depends(services)) -> SimulationOut:
    """Start simulating the newest version of a scenario for a user; one already going is answered as it is."""
    handle = await start_simulation(await svc.client(), svc.db, svc.settings.task_queue, org, body.user, body.scenario)
    return await _state(handle)


@router.get("/simulations/{user}", response_model=SimulationOut)
async def state(user: User, org: str = Depends(organisation), svc: Services = Depends(services)) -> SimulationOut:
    """The steps done, what each did, and the next one."""
    return await _state(await simulation_handle(await svc.client(), svc.db, org, user))


@router.post("/simulations/{user}/next", response_model=StepOut)
async def next_step(user: User, org: str = Depends(organisation), svc: Services = Depends(services)) -> StepOut:
    """Run the next step now (an email really goes to the user) and say what it did."""
    handle = await simulation_handle(await svc.client(), svc.db, org, user)
    await _state(handle)  # a 404 when there is no simulation
    try:
        return _step(await handle.execute_update(ScenarioSimulationWorkflow.execute_next))
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise ProblemError(409, f"simulation for {user}: {getattr(cause, 'message', None) or cause}") from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ProblemError(409, f"simulation for {user} has ended: start another") from exc
        raise


@router.post("/simulations/{user}/stop", response_model=SimulationOut)
async def stop(user: User, org: str = Depends(organisation), svc: Services = Depends(services)) -> SimulationOut:
    """Stop the simulation; what it did stays readable."""
    handle = await simulation_handle(await svc.client(), svc.db, org, user)
    await _state(handle)
    await handle.signal(ScenarioSimulationWorkflow.stop)
    return await _state(handle)
