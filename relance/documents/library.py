"""An organisation's documents: added (checked first, then stored, then recorded), listed, removed, and
read back as attachments. Every check runs when a document arrives, never when an email goes: a
document that is stored can be attached."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Document, Invoice
from relance import limits, repository
from relance.db import Database
from relance.documents.kinds import ACCEPTED, sniff
from relance.documents.storage import DocumentGone, DocumentStore
from relance.email.mailer import Attachment

MAX_FILENAME = 150
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@dataclass(frozen=True)
class NewDocument:
    """What a host gives: the bytes, a name, and optionally the invoice it belongs to and its own key; or
    what staff attach to an agency draft (`draft_id`, checked by the agency through `guard`)."""

    data: bytes
    filename: str
    invoice: str | None = None
    key: str | None = None
    source_url: str | None = None
    draft_id: int | None = None


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def safe_filename(name: str, extension: str) -> str:
    """The name the attachment goes out with: no path, no control characters, bounded, and ending with
    the extension of the type the bytes are (a PDF named invoice.exe goes as invoice.exe.pdf)."""
    base = _UNSAFE_IN_NAME.sub("_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" ._") or "document"
    if not base.lower().endswith(extension) and not (extension == ".jpg" and base.lower().endswith(".jpeg")):
        base += extension
    return base[-MAX_FILENAME:]


def check(new: NewDocument, at: str) -> tuple[str, str]:
    """The document's type and file name; limits.Refused naming `at` and the field otherwise."""
    if not new.data:
        raise limits.Refused(f"{at}: field file is empty")
    if len(new.data) > limits.MAX_DOCUMENT_BYTES:
        raise limits.Refused(f"{at}: field file is {_mb(len(new.data))}, over the limit of "
                             f"{_mb(limits.MAX_DOCUMENT_BYTES)} per document")
    kind = sniff(new.data)
    if kind is None:
        raise limits.Refused(f"{at}: field file is not a document relance attaches (its bytes are none of "
                             f"{ACCEPTED}; the name and the Content-Type given are not trusted)")
    return kind.content_type, safe_filename(new.filename, kind.extension)


async def add(db: Database, store: DocumentStore, org_slug: str, new: NewDocument,
              guard: Callable[[AsyncSession], Awaitable[object]] | None = None) -> Document:
    """Check, store, record. A key used already is refused (delete it first): an email that attached the
    old bytes stays true to what it sent. `guard` runs first in the same transaction (the agency locks its
    open draft there, so a send that claims the draft sees the document or waits)."""
    at = f"organisation {org_slug!r} › document"
    if new.key is not None:
        limits.check_identifier(new.key)
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        if guard is not None:
            await guard(session)
        invoice = await _invoice(session, org.id, new.invoice, at) if new.invoice else None
        content_type, filename = check(new, at)
        owner = (("invoice", invoice.number, Document.invoice_id == invoice.id) if invoice else
                 ("draft", new.draft_id, Document.draft_id == new.draft_id) if new.draft_id else None)
        if owner is not None:
            held = await _held_bytes(session, owner[2])
            if held + len(new.data) > limits.MAX_ATTACHMENTS_BYTES:
                raise limits.Refused(
                    f"{at}: field file would bring the documents of {owner[0]} {owner[1]!r} to "
                    f"{_mb(held + len(new.data))}, over {_mb(limits.MAX_ATTACHMENTS_BYTES)} per email (SES takes "
                    f"10 MB per message)")
        digest = hashlib.sha256(new.data).hexdigest()
        prefix = f"draft{new.draft_id}" if new.draft_id else invoice.number if invoice else "doc"
        key = new.key or f"{prefix}-{digest[:12]}"
        if (await session.exec(select(Document.id).where(Document.org_id == org.id, Document.key == key))).first():
            raise limits.Refused(f"{at}: field key {key!r} is taken (delete that document first)" if new.key else
                                 f"{at}: field file {filename!r}: the same file is there already")
        storage_key = await store.put(org_slug, new.data, content_type)
        document = Document(org_id=org.id, key=key, invoice_id=invoice.id if invoice else None,
                            draft_id=new.draft_id, filename=filename,
                            content_type=content_type, size=len(new.data), sha256=digest,
                            storage_key=storage_key, source_url=new.source_url)
        session.add(document)
        await session.flush()
    return document


async def _invoice(session: AsyncSession, org_id: int, number: str, at: str) -> Invoice:
    invoice = (await session.exec(select(Invoice).where(Invoice.org_id == org_id, Invoice.number == number))).first()
    if invoice is None:
        raise limits.Refused(f"{at}: field invoice {number!r} is no invoice of the organisation")
    return invoice


async def _held_bytes(session: AsyncSession, owned) -> int:
    """The size of the documents one invoice or draft holds (one email attaches them all)."""
    return (await session.exec(select(func.coalesce(func.sum(Document.size), 0)).where(owned))).one()


async def listed(db: Database, org_slug: str, invoice: str | None = None) -> list[tuple[Document, str | None]]:
    """The organisation's documents (or one invoice's), oldest first, each with its invoice's number."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        query = (select(Document, Invoice.number).outerjoin(Invoice, Invoice.id == Document.invoice_id)
                 .where(Document.org_id == org.id).order_by(Document.id))
        if invoice is not None:
            query = query.where(Invoice.number == invoice)
        return [(row[0], row[1]) for row in (await session.exec(query)).all()]


async def remove(db: Database, store: DocumentStore, org_slug: str, key: str, draft_id: int | None = None,
                 guard: Callable[[AsyncSession], Awaitable[object]] | None = None) -> None:
    """The row goes first (no email attaches it from then on), then the object. With `draft_id`, only a
    document of that draft (after `guard`, as for add)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        if guard is not None:
            await guard(session)
        query = select(Document).where(Document.org_id == org.id, Document.key == key)
        if draft_id is not None:
            query = query.where(Document.draft_id == draft_id)
        document = (await session.exec(query)).first()
        if document is None:
            raise repository.NotFound(f"organisation {org_slug!r}: no document {key!r}"
                                      + (f" on draft {draft_id}" if draft_id is not None else ""))
        storage_key = document.storage_key
        await session.delete(document)
    await store.delete(storage_key)


async def of_invoice(session: AsyncSession, invoice_id: int) -> list[Document]:
    return list((await session.exec(select(Document).where(Document.invoice_id == invoice_id)
                                    .order_by(Document.id))).all())


async def of_draft(session: AsyncSession, draft_id: int) -> list[Document]:
    return list((await session.exec(select(Document).where(Document.draft_id == draft_id)
                                    .order_by(Document.id))).all())


async def by_keys(session: AsyncSession, org_id: int, keys: list[str]) -> list[Document]:
    found = {d.key: d for d in (await session.exec(select(Document).where(
        Document.org_id == org_id, col(Document.key).in_(keys)))).all()}
    return [found[k] for k in keys if k in found]


class Unavailable(LookupError):
    """A document whose bytes storage no longer has: said with its key, so a person can add it again."""


async def attachments(store: DocumentStore, documents: list[Document]) -> list[Attachment]:
    """The documents' bytes, ready for the email; Unavailable naming the first one storage lost."""
    found = []
    for d in documents:
        try:
            found.append(Attachment(d.filename, d.content_type, await store.get(d.storage_key)))
        except DocumentGone:
            raise Unavailable(f"document {d.key!r} ({d.filename}) is no longer in storage: add it again") from None
    return found
