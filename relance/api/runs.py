"""Seed 002's buttons on an invoice: apply the scenario to it now, and send the step its run waits for now
instead of at the end of its pause; pause its run until a date (a promise to pay, a dispute) and resume
it. Each is recorded on the run's timeline with who asked (the API key's name). The same starter
functions as `relance apply`, `send-now`, `pause` and `resume`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from relance import calendar
from relance.api.auth import caller, organisation
from relance.api.contract import StrictBody
from relance.api.dunning import InvoiceNumber
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.dunning.ids import dunning_workflow_id
from relance.dunning.types import PauseRequest, ResumeRequest
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
    tz = await _zone(svc, org)
    position = status.step_position
    return SentNowOut(workflow_id=dunning_workflow_id(org, number), asked_by=by, state=status.state,
                      step=step_number(position) if position is not None else None,
                      step_name=step_name(position, status.step_label) if position is not None else None,
                      next_at=calendar.in_zone_or_none(status.next_at, tz))


class PauseBody(StrictBody):
    until: date = Field(description="YYYY-MM-DD, in the organisation's zone: after today, a year ahead at most")
    reason: Literal["promise_to_pay", "dispute"]
    note: str = Field(default="", max_length=500)


class PausedOut(BaseModel):
    workflow_id: str
    asked_by: str
    paused_until: datetime = Field(description="the pause ends at the start of that day, in the organisation's zone")
    resumes_at: datetime = Field(description="when the step the run waits for then goes")


class ResumeBody(StrictBody):
    note: str = Field(default="", max_length=500, description="e.g. how the dispute was settled")


@router.post("/invoices/{number}/pause", response_model=PausedOut)
async def pause(number: InvoiceNumber, body: PauseBody, org: str = Depends(organisation),
                by: str = Depends(caller), svc: Services = Depends(services)) -> PausedOut:
    """Pause the invoice's run until a date: then the step it waits for goes (the later ones keep their
    spacing), unless the invoice was paid meanwhile. A 409 when its run has ended, a 422 naming the field
    for a date in the past or over a year ahead; a refused pause writes nothing."""
    answer = await _unless_ended(dunning.pause_reminders(await svc.client(), svc.db, org, number, PauseRequest(
        body.until.isoformat(), body.reason, by, body.note)))
    tz = await _zone(svc, org)
    return PausedOut(workflow_id=dunning_workflow_id(org, number), asked_by=by,
                     paused_until=calendar.in_zone(answer.paused_until, tz),
                     resumes_at=calendar.in_zone(answer.resumes_at, tz))


@router.post("/invoices/{number}/resume", response_model=SentNowOut)
async def resume(number: InvoiceNumber, body: ResumeBody | None = None, org: str = Depends(organisation),
                 by: str = Depends(caller), svc: Services = Depends(services)) -> SentNowOut:
    """End the pause of the invoice's run now (a dispute resolved): its step goes now, or at its own time if
    later. A 409 when its run has ended, a 422 when it is not paused."""
    status = await _unless_ended(dunning.resume_reminders(await svc.client(), svc.db, org, number, ResumeRequest(
        by, body.note if body else "")))
    position = status.step_position
    return SentNowOut(workflow_id=dunning_workflow_id(org, number), asked_by=by, state=status.state,
                      step=step_number(position) if position is not None else None,
                      step_name=step_name(position, status.step_label) if position is not None else None,
                      next_at=calendar.in_zone_or_none(status.next_at, await _zone(svc, org)))


async def _unless_ended(call):
    try:
        return await call
    except dunning.RunNotRunning as exc:
        raise ProblemError(409, str(exc)) from exc


async def _zone(svc: Services, org: str) -> str:
    async with svc.db.session() as session:
        return (await organisation_row(session, org)).timezone
