"""The outbox pages: an agency's tabs with their counts and the day's summary, a draft to edit and
send, "send all" of a tab (confirmed with the count, then its progress and "retry the failed ones"),
the withdrawn and expired drafts with their reasons, a booking's history.

Every page first checks that the agency is one the signed-in person is staff of: the starter
confines calls to the organisation, this confines them to the person's agencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request

from models import Agency
from relance import limits
from relance.agency.errors import DraftConflict
from relance.api.services import Services, services
from relance.documents.kinds import ACCEPTED
from relance.i18n import N_
from relance.repository import NotFound
from relance.web.pages import page, see_other
from relance.web.session import PATH, Refused, Visitor, form, signed_in
from relance.web.wording import KINDS, OPEN
from starter import agency as agency_starter
from starter import draft_documents

router = APIRouter(prefix=PATH, include_in_schema=False)


@dataclass
class Desk:
    """What every outbox page knows: who, their agencies, and the one being looked at."""

    you: Visitor
    agencies: list[Agency]
    agency: Agency | None = None

    @property
    def org(self) -> str:
        return self.you.org_slug

    @property
    def by(self) -> str:
        return self.you.account.email

    def url(self, *parts: object) -> str:
        return "/".join([f"{PATH}/agencies/{self.agency.slug}", *map(str, parts)])

    def context(self) -> dict:
        return {"agencies": self.agencies, "agency": self.agency, "desk": self}

    def window_now(self) -> dict:
        """The agency's send window, and when it opens if it is closed now (emails sent now wait till then)."""
        window = agency_starter.window_of(self.agency)
        return {"window": window, "closed_until": window.closed_until(datetime.now(UTC))}


async def desk(agency: str | None = None, you: Visitor = Depends(signed_in),
               svc: Services = Depends(services)) -> Desk:
    agencies = await agency_starter.agencies_of(svc.db, you.org_slug, you.account.email)
    mine = Desk(you, agencies)
    if agency is None:
        return mine
    mine.agency = next((a for a in agencies if a.slug == agency), None)
    if mine.agency is None:  # another organisation's, or one of ours the person does not work for
        raise Refused(404, N_("There is no agency “%(agency)s” in your outbox."), agency=agency)
    return mine


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Refused(404, N_("There is no tab “%(kind)s” in the outbox."), kind=kind)
    return kind


@router.get("/")
async def home(request: Request, here: Desk = Depends(desk)):
    if not here.agencies:
        return page(request, here.you, "no_agency.html", **here.context())
    return see_other(request, here.you, f"{PATH}/agencies/{here.agencies[0].slug}")


@router.get("/agencies/{agency}")
async def agency_home(request: Request, here: Desk = Depends(desk)):
    return see_other(request, here.you, here.url("tabs", next(iter(KINDS))))


@router.get("/agencies/{agency}/tabs/{kind}")
async def tab(request: Request, kind: str, here: Desk = Depends(desk), svc: Services = Depends(services)):
    kind = _kind(kind)
    summary = await agency_starter.day_summary(svc.db, here.org, here.agency.slug)
    lines = await agency_starter.tab_drafts(svc.db, here.org, here.agency.slug, kind)
    return page(request, here.you, "tab.html", kind=kind, summary=summary, lines=lines,
                sendable=[line for line in lines if line.draft.status in OPEN], **here.context())


@router.get("/agencies/{agency}/tabs/{kind}/send")
async def confirm_send_all(request: Request, kind: str, here: Desk = Depends(desk),
                           svc: Services = Depends(services)):
    kind = _kind(kind)
    lines = [line for line in await agency_starter.tab_drafts(svc.db, here.org, here.agency.slug, kind)
             if line.draft.status in OPEN]
    return page(request, here.you, "confirm.html", kind=kind, lines=lines, **here.context(), **here.window_now())


@router.post("/agencies/{agency}/tabs/{kind}/send")
async def send_all(request: Request, kind: str, here: Desk = Depends(desk), svc: Services = Depends(services)):
    kind = _kind(kind)
    fields = await form(request, here.you, svc.settings.web_secret)
    ids = _ids(fields.get("drafts", ""))
    if not ids:
        raise Refused(400, N_("There was nothing to send: the confirmation listed no draft."))
    started = await _found(agency_starter.send_tab(await svc.client(), svc.db, svc.settings.task_queue, here.org,
                                                   here.agency.slug, kind, ids, here.by), "draft")
    return see_other(request, here.you, here.url("batches", started.batch_id))


@router.get("/agencies/{agency}/batches/{batch_id}")
async def batch(request: Request, batch_id: str, here: Desk = Depends(desk), svc: Services = Depends(services)):
    report = await _found(agency_starter.batch_report(svc.db, here.org, here.agency.slug, batch_id), "send")
    return page(request, here.you, "batch.html", report=report, **here.context())


@router.post("/agencies/{agency}/batches/{batch_id}/retry")
async def retry(request: Request, batch_id: str, here: Desk = Depends(desk), svc: Services = Depends(services)):
    await form(request, here.you, svc.settings.web_secret)
    started = await _found(agency_starter.retry_failed(await svc.client(), svc.db, svc.settings.task_queue,
                                                       here.org, here.agency.slug, batch_id, here.by), "send")
    return see_other(request, here.you, here.url("batches", started.batch_id))


@router.get("/agencies/{agency}/drafts/{draft_id}")
async def draft(request: Request, draft_id: int, saved: str = "", here: Desk = Depends(desk),
                svc: Services = Depends(services)):
    line = await _found(agency_starter.draft_line(svc.db, here.org, here.agency.slug, draft_id), "draft")
    documents = await draft_documents.listed(svc.db, here.org, here.agency.slug, draft_id)
    return page(request, here.you, "draft.html", line=line, saved=saved, open=OPEN, documents=documents,
                accepted=ACCEPTED, max_mb=limits.MAX_DOCUMENT_BYTES // 2**20, **here.context(), **here.window_now())


@router.post("/agencies/{agency}/drafts/{draft_id}/documents")
async def attach(request: Request, draft_id: int, here: Desk = Depends(desk), svc: Services = Depends(services)):
    """A file attached to the draft: its type read from its bytes, its size bounded, kept in storage."""
    await form(request, here.you, svc.settings.web_secret)
    part = (await request.form()).get("file")
    if part is None or isinstance(part, str) or not part.filename:
        raise Refused(422, N_("Nothing was attached: choose a file first."))
    data = await part.read(limits.MAX_DOCUMENT_BYTES + 1)  # one byte over is enough to refuse it
    await _changed(draft_documents.attach(svc.settings, svc.db, here.org, here.agency.slug, draft_id, data,
                                          part.filename), N_("Nothing was attached: %(refusal)s."))
    return see_other(request, here.you, here.url("drafts", draft_id) + "?saved=attached")


@router.post("/agencies/{agency}/drafts/{draft_id}/documents/{key}/remove")
async def detach(request: Request, draft_id: int, key: str, here: Desk = Depends(desk),
                 svc: Services = Depends(services)):
    await form(request, here.you, svc.settings.web_secret)
    await _changed(draft_documents.remove(svc.settings, svc.db, here.org, here.agency.slug, draft_id, key),
                   N_("Nothing was removed: %(refusal)s."))
    return see_other(request, here.you, here.url("drafts", draft_id) + "?saved=removed")


async def _changed(call, refused: str):
    """A change of the draft's documents; a draft gone from the agency is a 404, a refusal a 422 saying it."""
    try:
        return await call
    except NotFound:
        raise _missing("draft")
    except ValueError as refusal:  # limits.Refused (type, size), DraftConflict (no longer open)
        raise Refused(422, refused, refusal=refusal)


@router.post("/agencies/{agency}/drafts/{draft_id}")
async def change_draft(request: Request, draft_id: int, here: Desk = Depends(desk),
                       svc: Services = Depends(services)):
    fields = await form(request, here.you, svc.settings.web_secret)
    subject, body = fields.get("subject", ""), fields.get("body", "").replace("\r\n", "\n")
    version = int(fields.get("version", "0") or 0)
    try:
        if fields.get("action") == "send":
            await agency_starter.send_draft(await svc.client(), svc.db, svc.settings.task_queue, here.org,
                                            here.agency.slug, draft_id, version, here.by, subject, body)
            return see_other(request, here.you, here.url("drafts", draft_id) + "?saved=sent")
        await agency_starter.edit_draft(svc.db, here.org, here.agency.slug, draft_id, version, subject, body,
                                        here.by)
        return see_other(request, here.you, here.url("drafts", draft_id) + "?saved=saved")
    except DraftConflict as conflict:
        line = await agency_starter.draft_line(svc.db, here.org, here.agency.slug, draft_id)
        return page(request, here.you, "conflict.html", status=409, line=line, conflict=conflict, subject=subject,
                    body=body, **here.context())
    except NotFound:
        raise _missing("draft")
    except ValueError as refusal:
        raise Refused(422, N_("Nothing was saved or sent: %(refusal)s."), refusal=refusal)


@router.get("/agencies/{agency}/closed")
async def closed(request: Request, here: Desk = Depends(desk), svc: Services = Depends(services)):
    lines = await agency_starter.closed_drafts(svc.db, here.org, here.agency.slug)
    return page(request, here.you, "closed.html", lines=lines, **here.context())


@router.get("/agencies/{agency}/bookings/{reference}")
async def booking(request: Request, reference: str, here: Desk = Depends(desk), svc: Services = Depends(services)):
    history = await _found(agency_starter.booking_history(svc.db, here.org, here.agency.slug, reference), "booking")
    return page(request, here.you, "booking.html", history=history, **here.context())


async def _found(call, what: str):
    """The call's answer; a record not found or refused becomes a page saying so."""
    try:
        return await call
    except NotFound:
        raise _missing(what)
    except ValueError as refusal:
        raise Refused(422, N_("Nothing was sent: %(refusal)s."), refusal=refusal)


MISSING = {"draft": N_("There is no such draft in this agency's outbox."),
           "send": N_("There is no such send in this agency's outbox."),
           "booking": N_("There is no such booking in this agency's outbox.")}


def _missing(what: str) -> Refused:
    return Refused(404, MISSING[what])


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise Refused(400, N_("The confirmation form was altered: its list of drafts is not a list of numbers."))
