"""The booking agency's outbox for the host: report a booking (its drafts become pointless are withdrawn),
a booking's history, the day's summary, a tab's drafts, edit-and-send one draft, send a whole tab, a
send-all's progress and retrying its failed drafts, the withdrawn and expired drafts, drafting now."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Response
from pydantic import BaseModel, Field

from models import DraftKind
from relance.agency.errors import DraftConflict, InvalidRecord
from relance.agency.views import BatchStarted, DraftLine
from relance.api.auth import organisation
from relance.api.contract import ContractRoute, Int32, RowId, StrictBody
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from starter import agency

router = APIRouter(prefix="/v1/agencies", tags=["agency"], responses=documented(401, 403, 404, 422),
                   route_class=ContractRoute)
Slug = Annotated[str, Path(min_length=1, max_length=200)]
DraftId = Annotated[RowId, Path()]
Who = Field(default="api", min_length=1, max_length=200, description="who does it (recorded)")


class DraftOut(BaseModel):
    id: int
    kind: DraftKind
    booking: str
    property: str
    guest_name: str
    recipient: str
    counts_from: date
    due_on: date
    sendable_until: date
    language: str
    subject: str
    body: str
    status: str = Field(description="waiting, edited, sending, sent, withdrawn, expired, failed")
    reason: str | None
    flagged: str | None = Field(description="an edited draft whose booking's dates moved since")
    version: int = Field(description="give it back to edit or send: a draft changed since is refused (409)")
    edited_by: str | None
    sent_by: str | None
    sent_at: datetime | None
    batch_id: str | None


def _draft(line: DraftLine) -> DraftOut:
    d = line.draft
    return DraftOut(id=d.id, kind=d.kind, booking=line.booking.reference, property=line.property.name,
                    guest_name=line.booking.guest_name, recipient=d.recipient, counts_from=d.counts_from,
                    due_on=d.due_on, sendable_until=d.sendable_until, language=d.language, subject=d.subject,
                    body=d.body, status=d.status, reason=d.reason, flagged=d.flagged, version=d.version,
                    edited_by=d.edited_by, sent_by=d.sent_by, sent_at=d.sent_at, batch_id=d.batch_id)


class BookingOut(BaseModel):
    reference: str
    outcome: str | None = Field(description="created, changed, or null when it was already so")
    withdrawn: list[dict[str, Any]] = Field(description="drafts withdrawn by this change: id and reason")
    flagged: list[int] = Field(description="edited drafts whose dates moved (kept, flagged)")


@router.put("/{agency_slug}/bookings/{reference}", response_model=BookingOut)
async def report_booking(agency_slug: Slug, reference: Slug, booking: dict[str, Any] = Body(
        description="the import file's booking (reference, property, guest_name, guest_email, guest_language, "
                    "arrival, departure, status, option_expires_on, balance_amount, balance_due_on, payments)"),
        org: str = Depends(organisation), svc: Services = Depends(services)) -> BookingOut:
    """Create or change a booking; refused whole with the field named (422)."""
    if booking.get("reference", reference) != reference:
        raise ValueError(f"booking {reference!r}: field reference: the body says {booking.get('reference')!r}")
    try:
        report = await agency.report_booking(await svc.client(), svc.db, svc.settings.task_queue, org, agency_slug,
                                             {**booking, "reference": reference})
    except InvalidRecord as exc:
        raise ProblemError(422, str(exc), exc.problems) from exc
    return BookingOut(reference=reference, outcome=report.outcome, flagged=report.flagged,
                      withdrawn=[{"id": i, "reason": r} for i, r in report.withdrawn])


class HistoryOut(BaseModel):
    reference: str
    status: str
    arrival: date
    departure: date
    paid: str
    drafts: list[DraftOut]


@router.get("/{agency_slug}/bookings/{reference}", response_model=HistoryOut)
async def booking_history(agency_slug: Slug, reference: Slug, org: str = Depends(organisation),
                          svc: Services = Depends(services)) -> HistoryOut:
    """A booking and every draft made for it (sent, withdrawn, expired included), newest first."""
    h = await agency.booking_history(svc.db, org, agency_slug, reference)
    return HistoryOut(reference=h.booking.reference, status=h.booking.status, arrival=h.booking.arrival,
                      departure=h.booking.departure, paid=h.paid,
                      drafts=[_draft(DraftLine(d, h.booking, h.property)) for d in h.drafts])


class SummaryOut(BaseModel):
    agency: str
    today: date
    waiting: dict[str, int] = Field(description="drafts waiting per tab (kind)")
    expiring_soon: int = Field(description="open drafts whose last sendable day is within two days")


@router.get("/{agency_slug}/summary", response_model=SummaryOut)
async def summary(agency_slug: Slug, org: str = Depends(organisation),
                  svc: Services = Depends(services)) -> SummaryOut:
    s = await agency.day_summary(svc.db, org, agency_slug)
    return SummaryOut(agency=s.agency.slug, today=s.today, waiting=s.waiting, expiring_soon=s.expiring_soon)


@router.get("/{agency_slug}/tabs/{kind}", response_model=list[DraftOut])
async def tab(agency_slug: Slug, kind: DraftKind, org: str = Depends(organisation),
              svc: Services = Depends(services)) -> list[DraftOut]:
    """The open drafts of one tab, by due date."""
    return [_draft(line) for line in await agency.tab_drafts(svc.db, org, agency_slug, kind)]


@router.get("/{agency_slug}/closed", response_model=list[DraftOut])
async def closed(agency_slug: Slug, org: str = Depends(organisation),
                 svc: Services = Depends(services)) -> list[DraftOut]:
    """Withdrawn and expired drafts, newest first, with their reasons."""
    return [_draft(line) for line in await agency.closed_drafts(svc.db, org, agency_slug)]


@router.get("/{agency_slug}/drafts/{draft_id}", response_model=DraftOut)
async def draft(agency_slug: Slug, draft_id: DraftId, org: str = Depends(organisation),
                svc: Services = Depends(services)) -> DraftOut:
    return _draft(await agency.draft_line(svc.db, org, agency_slug, draft_id))


class SendOneBody(StrictBody):
    version: Int32 = Field(description="the version read: a draft changed or sent since is refused (409)")
    subject: str | None = Field(default=None, min_length=1, max_length=998)
    body: str | None = Field(default=None, min_length=1, max_length=100_000)
    by: str = Who


class StartedOut(BaseModel):
    batch_id: str
    count: int
    goes_at: datetime | None = Field(default=None, description="the agency's send window is closed: when these "
                                     "emails go (its opening); null: they go now")

    @classmethod
    def of(cls, started: BatchStarted) -> StartedOut:
        return cls(batch_id=started.batch_id, count=started.count, goes_at=started.goes_at)


@router.post("/{agency_slug}/drafts/{draft_id}/send", response_model=StartedOut, status_code=202,
             responses=documented(409))
async def send_one(agency_slug: Slug, draft_id: DraftId, body: SendOneBody, org: str = Depends(organisation),
                   svc: Services = Depends(services)) -> StartedOut:
    """Edit-and-send one draft (subject and body plain text; the HTML part is escaped)."""
    try:
        started = await agency.send_draft(await svc.client(), svc.db, svc.settings.task_queue, org, agency_slug,
                                          draft_id, body.version, body.by, body.subject, body.body, wait=False)
    except DraftConflict as exc:
        raise ProblemError(409, str(exc)) from exc
    return StartedOut.of(started)


class SendTabBody(StrictBody):
    draft_ids: list[RowId] = Field(min_length=1, max_length=10_000, description="exactly the drafts confirmed")
    by: str = Who


@router.post("/{agency_slug}/tabs/{kind}/send", response_model=StartedOut, status_code=202)
async def send_tab(agency_slug: Slug, kind: DraftKind, body: SendTabBody, org: str = Depends(organisation),
                   svc: Services = Depends(services)) -> StartedOut:
    """Send all of one tab: the drafts listed when the person confirmed, as one durable run."""
    started = await agency.send_tab(await svc.client(), svc.db, svc.settings.task_queue, org, agency_slug, kind,
                                    body.draft_ids, body.by)
    return StartedOut.of(started)


class BatchOut(BaseModel):
    batch_id: str
    kind: str
    requested_by: str
    finished: bool
    goes_at: datetime | None = Field(default=None, description="while it waits for the agency's send window: "
                                     "when that opens")
    counts: dict[str, int]
    drafts: list[dict[str, Any]] = Field(description="id, status, reason of each draft")


@router.get("/{agency_slug}/sends/{batch_id}", response_model=BatchOut)
async def send_progress(agency_slug: Slug, batch_id: Slug, org: str = Depends(organisation),
                        svc: Services = Depends(services)) -> BatchOut:
    r = await agency.batch_report(svc.db, org, agency_slug, batch_id)
    return BatchOut(batch_id=r.batch.id, kind=r.batch.kind, requested_by=r.batch.requested_by, finished=r.finished,
                    goes_at=r.goes_at, counts=r.counts,
                    drafts=[{"id": d.id, "status": d.status, "reason": d.reason} for d in r.drafts])


class ByBody(StrictBody):
    by: str = Who


@router.post("/{agency_slug}/sends/{batch_id}/retry", response_model=StartedOut, status_code=202)
async def retry(agency_slug: Slug, batch_id: Slug, body: ByBody, org: str = Depends(organisation),
                svc: Services = Depends(services)) -> StartedOut:
    """Send again only the drafts of a send-all that failed."""
    started = await agency.retry_failed(await svc.client(), svc.db, svc.settings.task_queue, org, agency_slug,
                                        batch_id, body.by)
    return StartedOut.of(started)


class DraftingOut(BaseModel):
    day: date | None
    drafted: int
    expired: int


@router.post("/{agency_slug}/drafting", response_model=DraftingOut)
async def drafting(agency_slug: Slug, response: Response, org: str = Depends(organisation),
                   svc: Services = Depends(services)) -> DraftingOut:
    """Run the agency's nightly drafting now (drafting twice drafts nothing twice)."""
    await agency.day_summary(svc.db, org, agency_slug)  # an unknown agency is a 404, not a failed run
    result = await agency.draft_day(await svc.client(), svc.settings.task_queue, org, agency_slug)
    return DraftingOut(day=result.day, drafted=result.drafted, expired=result.expired)
