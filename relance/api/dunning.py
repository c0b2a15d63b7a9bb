"""Invoices and their dunning runs: create or update, pay, cancel the reminders, switch dunning on or
off, a run's status and timeline, preview, forecast. Each route calls the starter function the CLI
calls, for the key's organisation only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from relance import calendar, limits
from relance.api.auth import organisation
from relance.api.contract import STEP_NUMBER, Amount, ContractRoute, PositiveAmount, StrictBody, links, numbered
from relance.api.heavy import heavy_requests
from relance.api.problems import ProblemError, documented
from relance.api.references import with_field_problems
from relance.api.services import Services, services
from relance.dunning import repository
from relance.dunning.forecast import ForecastLine
from relance.dunning.ids import dunning_workflow_id
from relance.dunning.preview import preview_invoice
from relance.importing.format import REFERENCE_PATTERN, Day, InvoiceIn, PaymentIn
from relance.importing.invoice import reference_problems
from relance.scenario.preview import PreviewStep
from starter import documents, dunning

router = APIRouter(prefix="/v1", tags=["dunning"], responses=documented(401, 403, 404, 413, 422, 503),
                   route_class=ContractRoute)
_SAME_INVOICE = {"number": "$request.path.number"}
INVOICE_LINKS = links(ReadRun=("get", "/v1/invoices/{number}/run", _SAME_INVOICE),
                      Preview=("get", "/v1/invoices/{number}/preview", _SAME_INVOICE),
                      Change=("put", "/v1/invoices/{number}", _SAME_INVOICE),
                      Pay=("post", "/v1/invoices/{number}/payments", _SAME_INVOICE),
                      CancelReminders=("post", "/v1/invoices/{number}/cancel-reminders", _SAME_INVOICE))
InvoiceNumber = Annotated[str, Path(pattern=REFERENCE_PATTERN, max_length=limits.MAX_ID_LENGTH)]


class InvoicePaymentBody(PaymentIn):
    amount: PositiveAmount


class InvoiceBody(InvoiceIn):
    """An invoice as in the import format; its number is in the path."""

    number: str | None = Field(default=None, description="the path's number (may be left out)")
    amount_excl_tax: Amount
    amount_incl_tax: Amount
    payments: list[InvoicePaymentBody] = []


class SavedInvoiceOut(BaseModel):
    number: str
    created: bool
    run_started: bool = Field(description="a new invoice starts its run when the organisation applies dunning "
                                          "to new invoices")


async def _invoice_references(svc: Services, org: str, path: dict, raw: dict) -> list[str]:
    return await reference_problems(svc.db, org, path["number"], raw)


@router.put("/invoices/{number}", response_model=SavedInvoiceOut, status_code=200,
            responses={status: {"model": SavedInvoiceOut, "description": phrase, **INVOICE_LINKS}
                       for status, phrase in ((200, "OK"), (201, "Created"))},
            dependencies=[with_field_problems(InvoiceBody, _invoice_references)])
async def put_invoice(number: InvoiceNumber, body: InvoiceBody, response: Response,
                      org: str = Depends(organisation), svc: Services = Depends(services)) -> SavedInvoiceOut:
    """Create or update an invoice (payments included); a change wakes its run to re-check."""
    if body.number not in (None, number):
        raise ProblemError(422, f"invoice {number!r}: field number says {body.number!r}",
                           [f"number: {body.number!r} differs from the path's {number!r}"])
    invoice = InvoiceIn.model_validate({**body.model_dump(), "number": number})
    raw = {"organisations": [{"slug": org, "invoices": [invoice.model_dump(mode="json")]}]}
    fetched = await documents.fetch_for_import(svc.settings, svc.db, raw, f"invoice {number!r}")
    saved = await dunning.save_invoice(await svc.client(), svc.db, svc.settings.task_queue, org, invoice,
                                       await repository.organisation_today(svc.db, org, datetime.now(UTC)),
                                       written=partial(documents.keep_for_import, svc.settings, svc.db, fetched))
    response.status_code = 201 if saved.created else 200
    return SavedInvoiceOut(number=number, created=saved.created, run_started=saved.run_started)


class PaymentBody(StrictBody):
    ref: str = Field(min_length=1, max_length=200, description="the payment's reference, unique on the invoice")
    amount: PositiveAmount
    paid_on: Day | None = Field(default=None,
                                description="YYYY-MM-DD or today-N; default: today in the organisation's zone")


class PaymentOut(BaseModel):
    invoice: str
    amount_due: Decimal


@router.post("/invoices/{number}/payments", response_model=PaymentOut)
async def post_payment(number: InvoiceNumber, body: PaymentBody, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> PaymentOut:
    """Record a payment; the run re-checks at once and ends when nothing is due."""
    today = await repository.organisation_today(svc.db, org, datetime.now(UTC))
    due = await dunning.record_payment(await svc.client(), svc.db, org, number, body.amount, body.ref,
                                       body.paid_on.resolve(today) if body.paid_on else today)
    return PaymentOut(invoice=number, amount_due=due)


class CancelBody(StrictBody):
    reason: str = Field(min_length=1, max_length=500)
    by: str = Field(min_length=1, max_length=200, description="who decided")


class CancelledOut(BaseModel):
    cancelled: list[str] = Field(description="the workflow ids of the runs told to stop")
    outcome: str | None = Field(default=None, description="the run's answer: cancelled, or how it ended if a step "
                                                           "was already going, or stopping")


@router.post("/invoices/{number}/cancel-reminders", response_model=CancelledOut, responses=documented(409))
async def cancel_reminders(number: InvoiceNumber, body: CancelBody, org: str = Depends(organisation),
                           svc: Services = Depends(services)) -> CancelledOut:
    """Stop the invoice's reminders; recorded with who and why."""
    await _invoice_exists(svc, org, number)
    outcome = await dunning.cancel_reminders(await svc.client(), org, number, body.reason, body.by)
    if outcome is None:
        raise ProblemError(409, f"invoice {number!r} has no running dunning run")
    return CancelledOut(cancelled=[dunning_workflow_id(org, number)], outcome=outcome)


class LiveOut(BaseModel):
    state: str
    step_number: int | None = Field(description=STEP_NUMBER)
    step_label: str | None
    next_at: datetime | None


class EventOut(BaseModel):
    at: datetime
    step_number: int | None = Field(description=STEP_NUMBER)
    kind: str
    outcome: str
    reason: str | None
    recipient: str | None
    subject: str | None
    provider_message_id: str | None


class RunOut(BaseModel):
    workflow_id: str
    state: str
    exit_reason: str | None
    exit_detail: str | None
    started_at: datetime
    ended_at: datetime | None
    scenario: str | None = Field(default=None, description="the run's scenario and why it was chosen (the "
                                 "account's own, an assignment rule, the default)")
    live: LiveOut | None = Field(description="the running run's own answer; null when ended or unreachable")
    timeline: list[EventOut]


@router.get("/invoices/{number}/run", response_model=RunOut)
async def get_run(number: InvoiceNumber, org: str = Depends(organisation),
                  svc: Services = Depends(services)) -> RunOut:
    """A run's state and timeline; every time in the organisation's zone, with its offset."""
    report = await dunning.run_report(svc.client, svc.db, org, number)
    run, tz = report.run, report.timezone
    local = partial(calendar.in_zone_or_none, tz=tz)

    live = report.live
    return RunOut(
        workflow_id=run.workflow_id, state=run.state, exit_reason=run.exit_reason, exit_detail=run.exit_detail,
        started_at=local(run.started_at), ended_at=local(run.ended_at), scenario=report.scenario,
        live=LiveOut(state=live.state, step_number=numbered(live.step_position), step_label=live.step_label,
                     next_at=local(live.next_at)) if live else None,
        timeline=[EventOut(at=local(e.occurred_at), step_number=numbered(e.step_position), kind=e.kind,
                           outcome=e.outcome, reason=e.reason, recipient=e.recipient, subject=e.subject,
                           provider_message_id=e.provider_message_id) for e in report.events])


@router.get("/invoices/{number}/preview", response_model=list[PreviewStep])
async def get_preview(number: InvoiceNumber, request: Request, org: str = Depends(organisation),
                      svc: Services = Depends(services)) -> list[PreviewStep]:
    """Each step of the invoice's scenario as it would go out if its run started now (rendered off the loop)."""
    return await heavy_requests(request).run(org, svc.db.url, lambda db: preview_invoice(
        db, svc.mailer, org, number, datetime.now(UTC)), wait=True)


@router.get("/forecast", response_model=list[ForecastLine])
async def get_forecast(days: int = Query(30, ge=1, le=366), if_on: bool = Query(
                           False, description="what would go if dunning were switched on now (works while off)"),
                       org: str = Depends(organisation), svc: Services = Depends(services)) -> list[ForecastLine]:
    """What will be sent in the next `days` days (`source`: running, tonight when the sweep starts it, held
    when it resumes as dunning is switched on)."""
    return await dunning.forecast(await svc.client(), svc.db, org, datetime.now(UTC), days, if_on)


class ActivationBody(StrictBody):
    enabled: bool


class ActivationOut(BaseModel):
    enabled: bool
    resumed: int = Field(description="held runs woken (switching on only)")


@router.put("/dunning", response_model=ActivationOut)
async def put_activation(body: ActivationBody, org: str = Depends(organisation),
                         svc: Services = Depends(services)) -> ActivationOut:
    """Switch dunning on or off; switching on resumes the held runs where they were."""
    resumed = await dunning.set_dunning_activation(await svc.client(), svc.db, org, body.enabled)
    return ActivationOut(enabled=body.enabled, resumed=resumed)


async def _invoice_exists(svc: Services, org: str, number: str) -> None:
    """A 404 naming the invoice, before anything is told to a run."""
    async with svc.db.session() as session:
        await repository.invoice_file(session, org, number, with_contacts=False)
