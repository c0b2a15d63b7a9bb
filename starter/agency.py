"""Calls from the host application, the CLI, the HTTP API and the outbox pages into the booking
agency's retro-planned emails (seed 003). Every call is scoped by organisation and agency slug: an
agency of another organisation is not found. NotFound (relance.repository) for an unknown
organisation, agency, booking or draft; InvalidRecord / ValueError naming the field for bad input;
DraftConflict when a draft changed since the person read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel import col, select
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from models import Agency, Booking, Draft, DraftStatus, Property, SendBatch
from relance import calendar
from relance.agency import events, outbox, repository, sending, withdrawal
from relance.agency.drafting import OPEN, Made
from relance.agency.errors import DraftConflict, InvalidRecord
from relance.agency.ids import DRAFTING_WORKFLOW, SEND_WORKFLOW, batch_id, drafting_schedule_id, drafting_workflow_id
from relance.agency.types import DraftingInput, DraftingResult, SendInput, SendProgress, SendWindow
from relance.agency.views import BatchReport, BatchStarted, BookingHistory, DaySummary, DraftLine
from relance.db import Database
from relance.importing.agency import booking_problems, write_booking
from relance.importing.format import BookingIn
from relance.importing.importer import ImportReport
from relance.importing.references import unknown
from relance.repository import NotFound
from relance.temporal import search_attributes as sa
from relance.temporal.queues import webhook_queue
from relance.temporal.starting import start_once
from relance.webhooks.publishing import Publisher
from starter.schedule import ensure_schedule

__all__ = ["after_import", "agencies_of", "batch_report", "booking_history", "closed_drafts", "day_summary",
           "draft_day", "draft_line", "edit_draft", "ensure_drafting_schedule", "report_booking", "retry_failed",
           "send_draft", "send_tab", "send_window", "tab_drafts", "window_of"]


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def window_of(agency: Agency) -> SendWindow:
    """The agency's send window: guests' emails asked for while it is closed go when it opens."""
    return SendWindow(agency.send_window_start, agency.send_window_end, agency.timezone)


async def send_window(db: Database, org_slug: str, agency_slug: str) -> SendWindow:
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
    return window_of(agency)


# --- what the outbox pages read -----------------------------------------------------------------


async def agencies_of(db: Database, org_slug: str, email: str) -> list[Agency]:
    """The agencies of the organisation where `email` (any case) is staff, by name."""
    async with db.session() as session:
        return await outbox.agencies_of(session, await repository.organisation(session, org_slug), email)


async def day_summary(db: Database, org_slug: str, agency_slug: str, today: date | None = None) -> DaySummary:
    """Drafts waiting per tab and those expiring within two days; `today` None: today in the agency's zone."""
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        return await outbox.summary(session, agency, today or calendar.local_today(_now(None), agency.timezone))


async def tab_drafts(db: Database, org_slug: str, agency_slug: str, kind: str) -> list[DraftLine]:
    """The open drafts of one tab (waiting, edited, failed, sending), by due date then id."""
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        return await outbox.tab(session, agency, kind)


async def draft_line(db: Database, org_slug: str, agency_slug: str, draft_id: int) -> DraftLine:
    """One draft of the agency, whatever its status, with its booking and property."""
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        found = await outbox.lines(session, agency, Draft.id == draft_id)
    if not found:
        raise NotFound(f"draft {draft_id} of agency {agency_slug!r} not found")
    return found[0]


async def booking_history(db: Database, org_slug: str, agency_slug: str, reference: str) -> BookingHistory:
    """A booking and every draft made for it, newest first: sent, withdrawn and expired ones stay."""
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        booking = await repository.booking(session, agency, reference)
        prop = await session.get(Property, booking.property_id)
        drafts = (await session.exec(select(Draft).where(Draft.booking_id == booking.id)
                                     .order_by(col(Draft.id).desc()))).all()
        paid = await repository.paid(session, booking.id)
    return BookingHistory(booking, prop, str(paid), list(drafts))


async def closed_drafts(db: Database, org_slug: str, agency_slug: str,
                        statuses: tuple[str, ...] = ("withdrawn", "expired")) -> list[DraftLine]:
    """Withdrawn and expired drafts (newest first), each with its reason."""
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        return await outbox.lines(session, agency, col(Draft.status).in_(statuses), newest_first=True)


async def batch_report(db: Database, org_slug: str, agency_slug: str, batch: str) -> BatchReport:
    """A send-all's progress: its drafts and how many are sent, failed, withdrawn, still to go."""
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        row = await session.get(SendBatch, batch)
        if row is None or row.agency_id != agency.id:
            raise NotFound(f"send-all {batch!r} of agency {agency_slug!r} not found")
        drafts = (await session.exec(select(Draft).where(col(Draft.id).in_(row.draft_ids))
                                     .order_by(Draft.id))).all()
    counts: dict[str, int] = {}
    for d in drafts:
        counts[d.status] = counts.get(d.status, 0) + 1
    window = window_of(agency)
    opens = window.closed_until(row.requested_at)  # asked for while the window was closed: the run waits
    waiting = row.state != "finished" and opens is not None and opens > _now(None)
    return BatchReport(row, counts, list(drafts), window, opens if waiting else None)


# --- what the outbox pages do -------------------------------------------------------------------


async def edit_draft(db: Database, org_slug: str, agency_slug: str, draft_id: int, expected_version: int,
                     subject: str, body: str, by: str, now: datetime | None = None) -> Draft:
    """Save a person's changes (plain text; escaped when sent as HTML). DraftConflict when the draft's
    version is not `expected_version` or it is no longer open."""
    _check_text(draft_id, subject, body)
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        draft = await repository.draft(session, agency, draft_id)
        changes = dict(status=DraftStatus.EDITED, **sending.edits(subject, body, by, _now(now)))
        if await sending.change(session, draft_id, agency.id, expected_version, changes) is None:
            await session.refresh(draft)  # the compare-and-set wrote nothing: say what it found
            raise _conflict(draft, expected_version)
    async with db.session() as session:
        return await repository.draft(session, agency, draft_id)


async def send_draft(client: Client, db: Database, task_queue: str, org_slug: str, agency_slug: str,
                     draft_id: int, expected_version: int, by: str, subject: str | None = None,
                     body: str | None = None, wait: bool = True) -> BatchStarted:
    """Edit-and-send one draft: save the changes (if given) and send it, re-checking the booking first.
    DraftConflict when another person changed or sent it since `expected_version`."""
    if subject is not None or body is not None:
        _check_text(draft_id, subject if subject is not None else "-", body if body is not None else "-")
    key = batch_id(org_slug, agency_slug, str(uuid.uuid4()))
    async with db.session() as session:
        org, agency = await repository.agency(session, org_slug, agency_slug)
        draft = await repository.draft(session, agency, draft_id)
        if await sending.claim_one(session, draft_id, agency.id, expected_version, key, subject, body, by,
                                   _now(None)) is None:
            await session.refresh(draft)
            raise _conflict(draft, expected_version)
        session.add(SendBatch(id=key, org_id=org.id, agency_id=agency.id, kind=draft.kind, requested_by=by,
                              draft_ids=[draft_id], requested_at=_now(None)))
    window = window_of(agency)
    try:
        handle = await _start_send(client, task_queue, SendInput(org_slug, agency_slug, key, [draft_id], by, window),
                                   f"Send draft {draft_id} ({org_slug}/{agency_slug})")
    except BaseException:
        async with db.session() as session:  # Temporal unreachable: the draft is open again, nothing lost
            await sending.release(session, draft_id, key)
        raise
    goes_at = window.closed_until(_now(None))
    if wait and goes_at is None:
        await handle.result()
    return BatchStarted(key, 1, key, handle, goes_at)


async def send_tab(client: Client, db: Database, task_queue: str, org_slug: str, agency_slug: str, kind: str,
                   draft_ids: list[int], by: str) -> BatchStarted:
    """Send all of one tab: exactly `draft_ids`, the drafts the person confirmed (ValueError when one is
    not of this agency and tab). Drafts closed since are skipped by the run, never replaced by others."""
    ids = sorted(set(draft_ids))
    if not ids:
        raise ValueError("field draft_ids: no draft confirmed")
    key = batch_id(org_slug, agency_slug, str(uuid.uuid4()))
    async with db.session() as session:
        org, agency = await repository.agency(session, org_slug, agency_slug)
        await outbox.tab(session, agency, kind)  # an unknown tab is named
        known = set((await session.exec(select(Draft.id).where(
            col(Draft.id).in_(ids), Draft.agency_id == agency.id, Draft.kind == kind))).all())
        strangers = [i for i in ids if i not in known]
        if strangers:
            raise ValueError(f"field draft_ids: {', '.join(map(str, strangers[:20]))} are not drafts of the "
                             f"{kind} tab of agency {agency_slug!r}")
        session.add(SendBatch(id=key, org_id=org.id, agency_id=agency.id, kind=kind, requested_by=by,
                              draft_ids=ids, requested_at=_now(None)))
    window = window_of(agency)
    handle = await _start_send(client, task_queue, SendInput(org_slug, agency_slug, key, ids, by, window),
                               f"Send all {kind} of {agency_slug} ({org_slug}): {len(ids)}")
    return BatchStarted(key, len(ids), key, handle, window.closed_until(_now(None)))


async def retry_failed(client: Client, db: Database, task_queue: str, org_slug: str, agency_slug: str,
                       batch: str, by: str) -> BatchStarted:
    """Send again only the drafts of a send-all that failed. ValueError when none failed."""
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        row = await session.get(SendBatch, batch)
        if row is None or row.agency_id != agency.id:
            raise NotFound(f"send-all {batch!r} of agency {agency_slug!r} not found")
        failed = await sending.failed_of(session, batch)
    if not failed:
        raise ValueError(f"send-all {batch!r}: no draft failed")
    return await send_tab(client, db, task_queue, org_slug, agency_slug, row.kind, failed, by)


async def _start_send(client: Client, task_queue: str, inp: SendInput, summary: str):
    return await start_once(client, SEND_WORKFLOW, inp, SendProgress, inp.batch_id, task_queue, summary,
                            [SearchAttributePair(sa.ORGANISATION, inp.org_slug),
                             SearchAttributePair(sa.AGENCY, [inp.agency_slug])])


def _check_text(draft_id: int, subject: str, body: str) -> None:
    if not subject.strip():
        raise ValueError(f"draft {draft_id}: field subject: empty")
    if not body.strip():
        raise ValueError(f"draft {draft_id}: field body: empty")


def _conflict(draft: Draft, expected_version: int) -> DraftConflict:
    if draft.status not in OPEN:
        who = f" by {draft.sent_by}" if draft.status == DraftStatus.SENT and draft.sent_by else ""
        detail = f"it is {draft.status}{who}" + (f" ({draft.reason})" if draft.reason else "")
    else:
        detail = (f"it was changed by {draft.edited_by or 'someone else'} since you opened it "
                  f"(version {draft.version}, yours {expected_version})")
    return DraftConflict(draft.id, draft.status, draft.version, detail)


# --- what the host application reports ----------------------------------------------------------


@dataclass
class BookingReport:
    booking: Booking
    outcome: str | None  # created | changed | None (as it was)
    withdrawn: list[tuple[int, str]] = field(default_factory=list)  # (draft id, reason)
    flagged: list[int] = field(default_factory=list)


def _field_first(at: str, problem: str) -> str:
    """'booking 'R1' › departure: ...' -> 'departure: ...' (the answer names the booking once)."""
    return problem.removeprefix(f"{at} › ")


async def report_booking(client: Client | None, db: Database, task_queue: str, org_slug: str, agency_slug: str,
                         raw: Any, today: date | None = None) -> BookingReport:
    """A booking created or changed by the host (the import file's booking shape; payments are added).
    Refused whole with the field named (InvalidRecord); its open drafts that became pointless are
    withdrawn at once and published (draft.withdrawn) when a client is given."""
    reference = raw.get("reference", "?") if isinstance(raw, dict) else "?"
    at = f"booking {reference!r}"
    try:
        b, refused = BookingIn.model_validate(raw), []
    except ValidationError as exc:
        b, refused = None, [f"{'.'.join(map(str, e['loc'])) or 'booking'}: {e['msg']}" for e in exc.errors()]
    now = _now(None)
    async with db.session() as session:
        org, agency = await repository.agency(session, org_slug, agency_slug)
        day = today or calendar.local_today(now, agency.timezone)
        props = dict((await session.exec(select(Property.ref, Property.id).where(
            Property.agency_id == agency.id))).all())
        if b is None:  # its property is named too, in the same answer
            named = raw.get("property") if isinstance(raw, dict) else None
            refused += unknown(at, "property", named, props) if isinstance(named, str) else []
            raise InvalidRecord.of(at, [_field_first(at, problem) for problem in refused])
        problems = booking_problems(at, b, props, day, org.currency)
        if problems:
            raise InvalidRecord.of(at, [_field_first(at, problem) for problem in problems])
        written = await write_booking(session, org, agency, props[b.property], b, day)
        withdrawn, flagged = await withdrawal.recheck(session, written.booking, written.previous_status, now)
    if client is not None:
        await _publish_withdrawn(client, db, task_queue, org.id, org_slug, agency_slug, withdrawn, now)
    return BookingReport(written.booking, written.outcome, [(m.draft_id, m.reason) for m in withdrawn], flagged)


async def after_import(client: Client | None, db: Database, task_queue: str, report: ImportReport) -> int:
    """What an import owes the outbox: the drafts of its changed bookings judged again; the number withdrawn."""
    now, count = _now(None), 0
    for org, written in ((o, w) for o in report.organisations for w in report.agencies if w.agency.org_id == o.id):
        for change in written.bookings:
            if change.outcome != "changed":
                continue
            async with db.session() as session:
                booking = await session.get(Booking, change.booking.id)
                withdrawn, _ = await withdrawal.recheck(session, booking, change.previous_status, now)
            count += len(withdrawn)
            if client is not None:
                await _publish_withdrawn(client, db, task_queue, org.id, org.slug, written.agency.slug, withdrawn, now)
    return count


async def _publish_withdrawn(client: Client, db: Database, task_queue: str, org_id: int, org_slug: str,
                             agency_slug: str, withdrawn: list[Made], now: datetime) -> None:
    publisher = Publisher(db, client, webhook_queue(task_queue))
    for made in withdrawn:
        await publisher.publish(events.withdrawn(org_id, org_slug, agency_slug, made, made.reason, now))


# --- drafting -----------------------------------------------------------------------------------


async def draft_day(client: Client, task_queue: str, org_slug: str, agency_slug: str,
                    day: date | None = None) -> DraftingResult:
    """Run one agency's drafting now (what its nightly Schedule does), for `day` or today in its zone."""
    label = f"{day or 'today'}@{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"  # drafting twice drafts nothing twice
    handle = await client.start_workflow(
        DRAFTING_WORKFLOW, DraftingInput(org_slug, agency_slug, day), id=drafting_workflow_id(
            org_slug, agency_slug, label), task_queue=task_queue, result_type=DraftingResult,
        static_summary=f"Drafting {agency_slug} ({org_slug})",
        search_attributes=_attributes(org_slug, agency_slug))
    return await handle.result()


async def ensure_drafting_schedule(client: Client, org_slug: str, agency: Agency, cron: str,
                                   task_queue: str) -> ScheduleHandle:
    """The agency's nightly drafting, in its own zone; a missed night is caught up by the next run's window."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(DRAFTING_WORKFLOW, DraftingInput(org_slug, agency.slug),
                                           id=drafting_schedule_id(org_slug, agency.slug) + ":run",
                                           task_queue=task_queue,
                                           static_summary=f"Nightly drafting of {agency.slug} ({org_slug})",
                                           typed_search_attributes=_attributes(org_slug, agency.slug)),
        spec=ScheduleSpec(cron_expressions=[cron], time_zone_name=agency.timezone),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=20)))
    return await ensure_schedule(client, drafting_schedule_id(org_slug, agency.slug), schedule)


def _attributes(org_slug: str, agency_slug: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(sa.ORGANISATION, org_slug),
                                  SearchAttributePair(sa.AGENCY, [agency_slug])])
