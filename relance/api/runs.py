"""Seed 002's buttons on an invoice: apply the scenario to it now, and send the step its run waits for now
instead of at the end of its pause. Both are recorded on the run's timeline with who asked (the API
key's name). The same starter functions as `relance apply` and `relance send-now`."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from relance import calendar
from relance.api.auth import caller, organisation
from relance.api.dunning import InvoiceNumber
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.dunning.ids import dunning_workflow_id
from relance.repository import organisation as organisation_row
from relance.scenario.plan import step_name, step_number
from starter import dunning

router = APIRouter(prefix="/v1", tags=["dunning"], responses=documented(401, 403, 404, 409, 413, 422, 503))


class AppliedOut(BaseModel):
    workflow_id: str
    asked_by: str


class SentNowOut(BaseModel):
    workflow_id: str
    asked_by: str
    state: str = Field(description="the run's state once the step was tried: waiting (for the next step), held, "
                                   "blocked, ended")
    step: int | None = Field(description="the step now waited for (or the last one), from 1")
    step_name: str | None
    next_at: datetime | None = Field(description="when the next step goes, in the organisation's zone")


@router.post("/invoices/{number}/apply-scenario", response_model=AppliedOut, status_code=201)
async def apply_scenario(number: InvoiceNumber, org: str = Depends(organisation), by: str = Depends(caller),
                         svc: Services = Depends(services)) -> AppliedOut:
    """Start the invoice's run on the organisation's default scenario now, whatever its due date (steps
    before the due date then go); a 409 when it has a run already."""
    handle = await dunning.apply_scenario_now(await svc.client(), svc.db, svc.settings.task_queue, org, number, by)
    if handle is None:
        raise ProblemError(409, f"invoice {number!r} has a dunning run already (running or ended); a run is never "
                                "started twice")
    return AppliedOut(workflow_id=handle.id, asked_by=by)


@router.post("/invoices/{number}/send-now", response_model=SentNowOut)
async def send_now(number: InvoiceNumber, org: str = Depends(organisation), by: str = Depends(caller),
                   svc: Services = Depends(services)) -> SentNowOut:
    """The step the run waits for goes now (its pause cut short; the steps after keep their spacing from now).
    A 404 when the invoice has no running run, a 422 with the run's reason when no step is waiting."""
    status = await dunning.send_next_now(await svc.client(), org, number, by)
    async with svc.db.session() as session:
        tz = (await organisation_row(session, org)).timezone
    position = status.step_position
    return SentNowOut(workflow_id=dunning_workflow_id(org, number), asked_by=by, state=status.state,
                      step=step_number(position) if position is not None else None,
                      step_name=step_name(position, status.step_label) if position is not None else None,
                      next_at=calendar.in_zone_or_none(status.next_at, tz))
