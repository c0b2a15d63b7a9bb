"""Contracts and their renewal notices: the upcoming notices, one contract's terms and notices, and
cancelling a notice not sent yet. The same starter functions as `relance renewal …`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from relance import calendar, limits
from relance.api.auth import organisation
from relance.api.contract import ContractRoute
from relance.api.dunning import CancelBody, CancelledOut
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.importing.format import REFERENCE_PATTERN
from relance.renewal import repository
from starter import renewal
from starter.renewal import UpcomingNotice

router = APIRouter(prefix="/v1", tags=["renewal"], responses=documented(401, 403, 404, 413, 422, 503),
                   route_class=ContractRoute)
ContractRef = Annotated[str, Path(pattern=REFERENCE_PATTERN, max_length=limits.MAX_ID_LENGTH)]


class UpcomingOut(BaseModel):
    enabled: bool
    alert_days: int
    first_day: date
    last_day: date
    notices: list[UpcomingNotice]


@router.get("/renewal-notices", response_model=UpcomingOut)
async def get_upcoming(days: int = Query(30, ge=1, le=3660), org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> UpcomingOut:
    """The notices due from today to `days` later, with the nightly inspection's own arithmetic."""
    up = await renewal.upcoming_notices(svc.db, org, datetime.now(UTC), days)
    return UpcomingOut(enabled=up.enabled, alert_days=up.alert_days, first_day=up.first_day, last_day=up.last_day,
                       notices=up.notices)


class NoticeOut(BaseModel):
    workflow_id: str
    term_end: date
    state: str
    outcome: str | None
    reason: str | None
    recipient: str | None
    provider_message_id: str | None
    detail: str | None
    sends_at: datetime | None = Field(description="a waiting notice's send time, in the organisation's zone")


class ContractOut(BaseModel):
    ref: str
    account: str
    period: str
    years: int | None
    start_date: date
    tacit_renewal: bool
    status: str
    billing_contact: str | None
    current_term_end: date | None = Field(description="null: the contract has ended (no tacit renewal)")
    current_notice_due: date | None
    notices: list[NoticeOut]


@router.get("/contracts/{ref}", response_model=ContractOut)
async def get_contract(ref: ContractRef, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> ContractOut:
    """A contract's current term and its notices."""
    report = await renewal.contract_report(svc.client, svc.db, org, ref, datetime.now(UTC))
    c, tz, contact = report.file.contract, report.file.org.timezone, report.file.billing_contact

    def sends_at(workflow_id: str) -> datetime | None:
        status = report.live.get(workflow_id)
        return calendar.in_zone(status.send_at, tz) if status and status.send_at else None

    return ContractOut(
        ref=c.ref, account=report.file.account.ref, period=c.period, years=c.years, start_date=c.start_date,
        tacit_renewal=c.tacit_renewal, status=c.status, billing_contact=contact.email if contact else None,
        current_term_end=report.current_term_end, current_notice_due=report.current_notice_due,
        notices=[NoticeOut(workflow_id=n.workflow_id, term_end=n.term_end, state=n.state, outcome=n.outcome,
                           reason=n.reason, recipient=n.recipient, provider_message_id=n.provider_message_id,
                           detail=n.detail, sends_at=sends_at(n.workflow_id)) for n in report.notices])


@router.post("/contracts/{ref}/cancel-notice", response_model=CancelledOut, responses=documented(409))
async def cancel_notice(ref: ContractRef, body: CancelBody, org: str = Depends(organisation),
                        svc: Services = Depends(services)) -> CancelledOut:
    """Cancel the contract's notice not sent yet; one already sent cannot be taken back."""
    async with svc.db.session() as session:
        await repository.contract_file(session, org, ref)  # a 404 naming the contract
    told = await renewal.cancel_renewal_notice(await svc.client(), svc.db, org, ref, body.reason, body.by)
    if not told:
        raise ProblemError(409, f"contract {ref!r} has no renewal notice waiting to be sent")
    return CancelledOut(cancelled=told)
