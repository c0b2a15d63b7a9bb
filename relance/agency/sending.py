"""Sending drafts: a send-all claims exactly the drafts the person confirmed (still open, of that agency and
tab) by setting them `sending` under its batch id, so no one else can send or edit them meanwhile; each
is then re-checked against its booking and sent once through the send-once ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Agency, Booking, Draft, DraftStatus, SendBatch
from relance.agency import kinds
from relance.agency.drafting import OPEN
from relance.agency.repository import facts
from relance.email.mailer import OutgoingEmail
from relance.email.rendering import html_of, single_line

_DRAFTS = Draft.__table__
_D = _DRAFTS.c


async def claim(session: AsyncSession, batch: SendBatch, draft_ids: list[int]) -> list[int]:
    """The drafts this send-all takes: still open (or already claimed by it: a retried claim, or the one
    edited draft the starter claimed), of its agency and tab."""
    if not draft_ids:
        return []
    rows = (await session.exec(
        update(_DRAFTS).where(_D.id.in_(draft_ids), _D.agency_id == batch.agency_id, _D.kind == batch.kind,
                              or_(_D.status.in_(OPEN), and_(_D.status == DraftStatus.SENDING, _D.batch_id == batch.id)))
        .values(status=DraftStatus.SENDING, batch_id=batch.id, version=_D.version + 1).returning(_D.id))).all()
    return sorted(r.id for r in rows)


async def claim_one(session: AsyncSession, draft_id: int, agency_id: int, expected_version: int, batch_id: str,
                    subject: str | None, body: str | None, by: str, now: datetime) -> int | None:
    """Edit-and-send: save the person's changes and claim the draft, only if it is the version they read."""
    changes = dict(status=DraftStatus.SENDING, batch_id=batch_id)
    if subject is not None or body is not None:
        changes.update(edits(subject, body, by, now))
    return await change(session, draft_id, agency_id, expected_version, changes)


def edits(subject: str | None, body: str | None, by: str, now: datetime) -> dict:
    changes: dict = dict(edited_by=by, edited_at=now, flagged=None)
    if subject is not None:
        changes["subject"] = single_line(subject)
    if body is not None:
        changes["body"] = body
    return changes


async def change(session: AsyncSession, draft_id: int, agency_id: int, expected_version: int,
                 changes: dict) -> int | None:
    """One compare-and-set on an open draft at the version the person read: the new version, or None
    when someone else changed, sent or closed it first (two people can never both send it)."""
    row = (await session.exec(update(_DRAFTS).where(
        _D.id == draft_id, _D.agency_id == agency_id, _D.version == expected_version, _D.status.in_(OPEN))
        .values(**changes, version=_D.version + 1).returning(_D.version))).first()
    return row[0] if row else None


async def release(session: AsyncSession, draft_id: int, batch_id: str) -> None:
    """Give back a draft claimed for a send whose run could not start: open again, as it was."""
    await session.exec(update(_DRAFTS).where(_D.id == draft_id, _D.batch_id == batch_id,
                                             _D.status == DraftStatus.SENDING)
                       .values(status=case((_D.edited_by.is_(None), DraftStatus.WAITING), else_=DraftStatus.EDITED),
                               batch_id=None, version=_D.version + 1))


async def taken(session: AsyncSession, draft_id: int, batch_id: str) -> tuple[Draft, Booking, Agency] | None:
    """The draft if this send-all holds it (else it was closed meanwhile: skipped), with its booking and agency."""
    row = (await session.exec(select(Draft, Booking, Agency).join(Booking, Booking.id == Draft.booking_id)
                              .join(Agency, Agency.id == Draft.agency_id)
                              .where(Draft.id == draft_id, Draft.batch_id == batch_id,
                                     Draft.status == DraftStatus.SENDING))).first()
    return tuple(row) if row else None


async def pointless(session: AsyncSession, draft: Draft, booking: Booking) -> str | None:
    """The send-time re-check. Changed dates stop a draft as the template made it (the nightly drafting
    makes the new one); a draft a person edited goes, its flag having been shown to them."""
    reason = kinds.pointless_reason(draft.kind, draft.counts_from, await facts(session, booking))
    if reason == kinds.Withdrawal.DATES_CHANGED and draft.edited_by is not None:
        return None
    return reason


def email_of(draft: Draft, agency: Agency) -> OutgoingEmail:
    """The draft as it stands (the person's words, plain text): the HTML part escapes it."""
    return OutgoingEmail(agency.sender_email, agency.from_name, draft.recipient,
                         single_line(draft.subject), draft.body, html_of(draft.body))


async def settle(session: AsyncSession, draft_id: int, batch_id: str, status: str, now: datetime, *,
                 reason: str | None = None, by: str | None = None, message_id: str | None = None) -> bool:
    """Record a send's outcome on the draft this send-all holds; False when it no longer holds it."""
    values = dict(status=status, reason=reason, version=_D.version + 1)
    if status == DraftStatus.SENT:
        values.update(sent_by=by, sent_at=now, provider_message_id=message_id, closed_at=now)
    elif status in (DraftStatus.WITHDRAWN, DraftStatus.EXPIRED):
        values.update(closed_at=now)
    row = (await session.exec(update(_DRAFTS).where(_D.id == draft_id, _D.batch_id == batch_id,
                                                    _D.status == DraftStatus.SENDING)
                              .values(**values).returning(_D.id))).first()
    return row is not None


async def failed_of(session: AsyncSession, batch_id: str) -> list[int]:
    return sorted((await session.exec(select(Draft.id).where(Draft.batch_id == batch_id,
                                                             Draft.status == DraftStatus.FAILED))).all())


async def counts(session: AsyncSession, draft_ids: list[int]) -> dict[str, int]:
    rows = (await session.exec(select(Draft.status, Draft.id).where(col(Draft.id).in_(draft_ids)))).all()
    result: dict[str, int] = {}
    for status, _ in rows:
        result[status] = result.get(status, 0) + 1
    return result
