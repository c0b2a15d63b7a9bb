"""Drafts that became pointless when the host reported a change: withdrawn with their reason (balance
paid, option confirmed or lapsed, booking cancelled, dates changed, after which the nightly drafting
drafts again for the new date). A draft a person edited is not withdrawn for changed dates: it is
flagged, so their words are not lost and nobody gets two emails. Every send re-checks the same way
(relance.agency.sending), so a change reported late still stops the email."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Booking, Draft, DraftStatus
from relance.agency import kinds
from relance.agency.drafting import OPEN, Made
from relance.agency.repository import facts

log = structlog.get_logger("relance.agency")
_DRAFTS = Draft.__table__


async def withdraw(session: AsyncSession, draft_id: int, reason: str, now: datetime,
                   statuses: tuple[str, ...] = OPEN) -> bool:
    """Close one draft as withdrawn, if it is still in one of `statuses`; True when this call did."""
    row = (await session.exec(update(_DRAFTS).where(_DRAFTS.c.id == draft_id, _DRAFTS.c.status.in_(statuses))
                              .values(status=DraftStatus.WITHDRAWN, reason=reason, closed_at=now,
                                      version=_DRAFTS.c.version + 1).returning(_DRAFTS.c.id))).first()
    return row is not None


async def recheck(session: AsyncSession, booking: Booking, previous_status: str | None,
                  now: datetime) -> tuple[list[Made], list[int]]:
    """Judge the booking's open drafts after a change: (withdrawn, flagged draft ids)."""
    known = await facts(session, booking, previous_status)
    drafts = (await session.exec(select(Draft).where(Draft.booking_id == booking.id,
                                                     col(Draft.status).in_(OPEN)))).all()
    withdrawn, flagged = [], []
    for draft in drafts:
        reason = kinds.pointless_reason(draft.kind, draft.counts_from, known)
        if reason is None:
            continue
        if reason == kinds.Withdrawal.DATES_CHANGED and draft.status == DraftStatus.EDITED:
            moved = known.counts_from(draft.kind)
            await session.exec(update(_DRAFTS).where(_DRAFTS.c.id == draft.id).values(
                flagged=f"{kinds.COUNTS_FROM[draft.kind]} moved from {draft.counts_from} to {moved}",
                version=_DRAFTS.c.version + 1))
            flagged.append(draft.id)
        elif await withdraw(session, draft.id, reason, now):
            withdrawn.append(Made(draft.id, draft.kind, booking.reference, draft.due_on, reason))
    if withdrawn or flagged:
        log.info("booking change judged", booking=booking.reference, withdrawn=len(withdrawn), flagged=len(flagged))
    return withdrawn, flagged
