"""The I/O of the agency's outbox: draft an agency's day (and expire what is past), email the day's
summary to the staff who ask for it, and send-all: claim the confirmed drafts, send each once after
re-checking its booking, record a failure, finish. What happened is published to the host's webhooks."""

from __future__ import annotations

import structlog
from sqlmodel import col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models import About, Agency, AgencyStaff, Booking, Draft, DraftStatus, EmailState, SendBatch
from relance import calendar
from relance import staff as staff_accounts
from relance.agency import drafting, events, kinds, outbox, repository, sending
from relance.agency.drafting import Made
from relance.agency.ids import draft_email_key, summary_email_key
from relance.agency.summary_email import summary_email
from relance.agency.types import (
    ClaimInput,
    DraftingRequest,
    DraftingResult,
    FailureInput,
    FinishInput,
    SendOne,
    SendOutcome,
    SummaryInput,
    SummaryResult,
)
from relance.agency.withdrawal import withdraw
from relance.db import Database
from relance.documents import library
from relance.documents.storage import DocumentStore
from relance.email import ledger
from relance.email.compose import NotSentReason
from relance.email.mailer import SesMailer
from relance.email.sending import SendStatus, send_once
from relance.email.suppression import suppressed
from relance.repository import NotFound
from relance.webhooks.publishing import Event, Publisher

log = structlog.get_logger("relance.agency")


async def _agency(session, org_slug: str, agency_slug: str):
    """The organisation and agency a run is about; gone, the run fails at once (no retry brings it back)."""
    try:
        return await repository.agency(session, org_slug, agency_slug)
    except NotFound as exc:
        raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc


class AgencyActivities:
    def __init__(self, db: Database, mailer: SesMailer, webhooks: Publisher, base_url: str):
        self.db = db
        self.mailer = mailer
        self.webhooks = webhooks
        self.base_url = base_url  # where staff open the outbox (the summary links to it)
        self.documents = DocumentStore(mailer.settings)  # the files staff attached to drafts

    @activity.defn
    async def draft_agency_day(self, inp: DraftingRequest) -> DraftingResult:
        """Expire what is past, draft what is due; a retry drafts nothing twice and publishes what its
        predecessor may not have (the events are keyed by draft)."""
        async with self.db.session() as session:
            org, agency = await _agency(session, inp.org_slug, inp.agency_slug)
            day = inp.day or calendar.local_today(inp.now, agency.timezone)
            await drafting.expire(session, agency, day, inp.now)
            _, problems = await drafting.draft_day(session, org, agency, day, inp.now)
        async with self.db.session() as session:
            made = await _stamped(session, agency.id, Draft.drafted_at == inp.now)
            expired = await _stamped(session, agency.id, Draft.closed_at == inp.now,
                                     Draft.status == DraftStatus.EXPIRED)
        for draft in made:
            await self.webhooks.publish(events.created(org.id, org.slug, agency.slug, draft, inp.now))
        for draft in expired:
            await self.webhooks.publish(events.expired(org.id, org.slug, agency.slug, draft, inp.now))
        result = DraftingResult(day, len(made), len(expired), _per_kind(made), problems[:50])
        log.info("agency day drafted", org=org.slug, agency=agency.slug, day=day.isoformat(), drafted=result.drafted,
                 expired=result.expired, problems=len(problems))
        return result

    @activity.defn
    async def email_day_summary(self, inp: SummaryInput) -> SummaryResult:
        """The day's summary to each staff member who asked for it, once per person and day; nothing
        when no draft waits."""
        async with self.db.session() as session:
            org, agency = await _agency(session, inp.org_slug, inp.agency_slug)
            day = inp.day or calendar.local_today(inp.now, agency.timezone)
            summary = await outbox.summary(session, agency, day)
            staff = (await session.exec(select(AgencyStaff).where(
                AgencyStaff.agency_id == agency.id, col(AgencyStaff.wants_morning_summary).is_(True)))).all()
            barred = await suppressed(session, [s.email for s in staff])
            accounts = await staff_accounts.accounts_by_email(session, org.id, [s.email for s in staff])
        result = SummaryResult(summary.total_waiting, summary.expiring_soon)
        if not summary.total_waiting:
            return result
        for person in staff:
            if person.email in barred:
                continue
            key = summary_email_key(org.slug, agency.slug, day.isoformat(), person.email)
            language = staff_accounts.reading_language(accounts.get(person.email), agency.language)
            email = summary_email(summary, person, language, org.locale, self.base_url)
            sent = await send_once(self.db, self.mailer, key, email,
                                   ledger.Source(org.id, activity.info().workflow_id, About("user", person.email)),
                                   inp.now)
            result.emailed += sent.status == SendStatus.SENT
        return result

    @activity.defn
    async def claim_send_batch(self, inp: ClaimInput) -> list[int]:
        async with self.db.session() as session:
            batch = await session.get(SendBatch, inp.batch_id)
            if batch is None:
                raise ApplicationError(f"send-all {inp.batch_id!r} not found", type="NotFound", non_retryable=True)
            claimed = await sending.claim(session, batch, batch.draft_ids)
        log.info("send-all claimed", org=inp.org_slug, batch=inp.batch_id, asked=len(batch.draft_ids),
                 claimed=len(claimed))
        return claimed

    @activity.defn
    async def send_agency_draft(self, inp: SendOne) -> SendOutcome:
        """Re-check the booking, then send once under the draft's key for this send-all."""
        async with self.db.session() as session:
            found = await sending.taken(session, inp.draft_id, inp.batch_id)
            if found is None:
                return SendOutcome(inp.draft_id, "skipped", "no longer held by this send-all")
            draft, booking, agency = found
            made = Made(draft.id, draft.kind, booking.reference, draft.due_on)
            stopped, event = await _stopped(session, inp, draft, made, agency)
            documents = await library.of_draft(session, draft.id)
        if event is not None:  # published once the draft's new status is committed
            await self.webhooks.publish(event)
        if stopped is not None:
            return stopped
        key, email = draft_email_key(draft.id, inp.batch_id), sending.email_of(draft, agency)
        source = ledger.Source(draft.org_id, activity.info().workflow_id, About("booking", booking.reference))
        try:
            email.attachments = await library.attachments(self.documents, documents)
        except library.Unavailable as exc:  # said as not sent, unless an earlier attempt sent it already
            async with self.db.autocommit() as session:
                claim = await ledger.record_not_sent(session, key, source,
                                                     f"{NotSentReason.ATTACHMENT_MISSING}: {exc}"[:500], inp.now)
            if claim.state == EmailState.NOT_SENT:
                return await self._failed(inp, draft, claim.reason)
        result = await send_once(self.db, self.mailer, key, email, source, inp.now)
        if result.status == SendStatus.SENT:
            async with self.db.session() as session:
                await sending.settle(session, draft.id, inp.batch_id, DraftStatus.SENT, inp.now, by=inp.by,
                                     message_id=result.message_id)
            await self.webhooks.publish(events.sent(draft.org_id, inp.org_slug, inp.agency_slug, made,
                                                    draft.recipient, result.message_id, inp.by, inp.now))
            log.info("draft sent", org=inp.org_slug, agency=inp.agency_slug, draft=draft.id,
                     message_id=result.message_id, fresh=result.fresh)
            return SendOutcome(draft.id, "sent", None, result.message_id)
        refused = result.status == SendStatus.SENDER_REFUSED
        return await self._failed(inp, draft, f"{agency.sender_email} is not a verified SES identity" if refused
                                  else result.reason or result.status.value)

    async def _failed(self, inp: SendOne, draft: Draft, reason: str) -> SendOutcome:
        """The draft failed, with the reason staff read on it (it is open again: fix and send)."""
        async with self.db.session() as session:
            await sending.settle(session, draft.id, inp.batch_id, DraftStatus.FAILED, inp.now, reason=reason)
        log.warning("draft not sent", org=inp.org_slug, agency=inp.agency_slug, draft=draft.id, reason=reason)
        return SendOutcome(draft.id, "failed", reason)

    @activity.defn
    async def record_draft_failure(self, inp: FailureInput) -> None:
        async with self.db.session() as session:
            await sending.settle(session, inp.draft_id, inp.batch_id, DraftStatus.FAILED, inp.now,
                                 reason=inp.error[:500])
        log.warning("draft send failed", org=inp.org_slug, batch=inp.batch_id, draft=inp.draft_id)

    @activity.defn
    async def finish_send_batch(self, inp: FinishInput) -> dict[str, int]:
        async with self.db.session() as session:
            batch = await session.get(SendBatch, inp.batch_id)
            batch.state, batch.finished_at = "finished", inp.now
            session.add(batch)
            counts = await sending.counts(session, batch.draft_ids)
        log.info("send-all finished", org=inp.org_slug, batch=inp.batch_id, **counts)
        return counts


async def _stopped(session, inp: SendOne, draft: Draft, made: Made,
                   agency: Agency) -> tuple[SendOutcome | None, Event | None]:
    """The send-time re-check: past its last sendable day (expired), pointless now (withdrawn, with the
    reason), its recipient suppressed (failed); (None, None) when it may go."""
    if calendar.local_today(inp.now, agency.timezone) > draft.sendable_until:
        await sending.settle(session, draft.id, inp.batch_id, DraftStatus.EXPIRED, inp.now, reason=kinds.EXPIRED)
        return (SendOutcome(draft.id, "expired", kinds.EXPIRED),
                events.expired(draft.org_id, inp.org_slug, inp.agency_slug, made, inp.now))
    reason = await sending.pointless(session, draft, await session.get(Booking, draft.booking_id))
    if reason is not None:
        await withdraw(session, draft.id, reason, inp.now, (DraftStatus.SENDING,))
        log.info("draft withdrawn at send", org=inp.org_slug, agency=inp.agency_slug, draft=draft.id, reason=reason)
        return (SendOutcome(draft.id, "withdrawn", reason),
                events.withdrawn(draft.org_id, inp.org_slug, inp.agency_slug, made, reason, inp.now))
    if await suppressed(session, [draft.recipient]):
        reason = "recipient suppressed (bounce or complaint)"
        await sending.settle(session, draft.id, inp.batch_id, DraftStatus.FAILED, inp.now, reason=reason)
        return SendOutcome(draft.id, "failed", reason), None
    return None, None


async def _stamped(session, agency_id: int, *conditions) -> list[Made]:
    """The drafts a run made or expired: stamped with its business time."""
    rows = (await session.exec(select(Draft.id, Draft.kind, Booking.reference, Draft.due_on)
                               .join(Booking, Booking.id == Draft.booking_id)
                               .where(Draft.agency_id == agency_id, *conditions).order_by(Draft.id))).all()
    return [Made(*row) for row in rows]


def _per_kind(made: list[Made]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for draft in made:
        counts[draft.kind] = counts.get(draft.kind, 0) + 1
    return counts

