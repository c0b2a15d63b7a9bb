"""Documents staff attach to a draft (a rental contract, a form the guest fills in): only to an open draft
of their agency, and removed only from one. The draft's row is locked while a document is added or
removed, so a send that claims the draft meanwhile waits, and sends the documents as they then are; its
version goes up, so someone who opened the draft before cannot send it without seeing the change."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Agency, Draft
from relance.agency.drafting import OPEN
from relance.agency.errors import DraftConflict
from relance.repository import NotFound


async def changing(session: AsyncSession, agency: Agency, draft_id: int) -> Draft:
    """The agency's draft, locked, its version up; NotFound when it is another's, DraftConflict when it is
    no longer open (being sent, sent, withdrawn, expired): what went, or goes, is what it had."""
    draft = (await session.exec(select(Draft).where(Draft.id == draft_id, Draft.agency_id == agency.id)
                                .with_for_update())).first()
    if draft is None:
        raise NotFound(f"draft {draft_id} of agency {agency.slug!r} not found")
    if draft.status not in OPEN:
        raise DraftConflict(draft.id, draft.status, draft.version,
                            f"field file: the draft is {draft.status}, its documents can no longer change")
    draft.version += 1
    session.add(draft)
    return draft
