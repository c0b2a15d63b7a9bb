"""Documents on an agency's draft, for the outbox pages: attached by staff (checked and stored by
relance.documents, only to an open draft of that agency), listed, removed. Sent with the draft."""

from __future__ import annotations

from models import Document
from relance.agency import attachments, repository
from relance.config import Settings
from relance.db import Database
from relance.documents import library
from relance.documents.library import NewDocument
from relance.documents.storage import DocumentStore


def _open_draft(org_slug: str, agency_slug: str, draft_id: int):
    async def guard(session) -> None:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        await attachments.changing(session, agency, draft_id)
    return guard


async def attach(settings: Settings, db: Database, org_slug: str, agency_slug: str, draft_id: int, data: bytes,
                 filename: str) -> Document:
    """limits.Refused naming the field file (type, size, the draft's 6 MB); DraftConflict when the draft
    is no longer open; NotFound when it is not the agency's."""
    return await library.add(db, DocumentStore(settings), org_slug, NewDocument(data, filename, draft_id=draft_id),
                             _open_draft(org_slug, agency_slug, draft_id))


async def listed(db: Database, org_slug: str, agency_slug: str, draft_id: int) -> list[Document]:
    async with db.session() as session:
        _, agency = await repository.agency(session, org_slug, agency_slug)
        await repository.draft(session, agency, draft_id)
        return await library.of_draft(session, draft_id)


async def remove(settings: Settings, db: Database, org_slug: str, agency_slug: str, draft_id: int, key: str) -> None:
    await library.remove(db, DocumentStore(settings), org_slug, key, draft_id,
                         _open_draft(org_slug, agency_slug, draft_id))
