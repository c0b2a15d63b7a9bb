"""Documents for the CLI and the API: bytes the host sends, or a URL relance fetches through the outbound
guard (public addresses only, redirects checked, bounded in time and size), checked and kept by
relance.documents."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlmodel import col, select

from models import Document, Invoice, Organisation
from relance import limits
from relance.config import Settings
from relance.db import Database
from relance.documents import library
from relance.documents.library import NewDocument
from relance.documents.storage import DocumentStore
from relance.importing.importer import ImportRejected
from relance.outbound import Allowlist, FetchFailed, fetch, url_problem

FETCHES_AT_ONCE = 4  # an import naming many documents fetches them a few at a time


async def add_bytes(settings: Settings, db: Database, org_slug: str, new: NewDocument) -> Document:
    return await library.add(db, DocumentStore(settings), org_slug, new)


async def fetched(settings: Settings, url: str, at: str) -> bytes:
    """The bytes behind a tenant's URL, or limits.Refused naming `at` and the field url."""
    allow = Allowlist.parse(settings.outbound_allow)
    problem = await url_problem(url, allow)  # the address named in relance's words; a name resolves once more
    if problem is not None:
        raise limits.Refused(f"{at}: field url {problem}")
    try:
        # One byte past the limit is enough to know it is over: library.check names the limit.
        return await fetch(url, allow, limits.MAX_DOCUMENT_BYTES + 1)
    except FetchFailed as exc:
        raise limits.Refused(f"{at}: field url {url!r} could not be fetched: {exc}") from None


def name_in(url: str) -> str:
    """The file name a URL ends with ("document" when it names none)."""
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "document"


async def add_from_url(settings: Settings, db: Database, org_slug: str, url: str, *, invoice: str | None = None,
                       key: str | None = None, filename: str | None = None) -> Document:
    data = await fetched(settings, url, f"organisation {org_slug!r} › document")
    return await add_bytes(settings, db, org_slug, NewDocument(data, filename or name_in(url), invoice, key, url))


async def listed(db: Database, org_slug: str, invoice: str | None = None) -> list[tuple[Document, str | None]]:
    return await library.listed(db, org_slug, invoice)


async def remove(settings: Settings, db: Database, org_slug: str, key: str) -> None:
    await library.remove(db, DocumentStore(settings), org_slug, key)


@dataclass
class FetchedForInvoice:
    org_slug: str
    number: str
    url: str
    data: bytes


def _wanted(raw: Any) -> list[tuple[str, str, str]]:
    """(organisation, invoice, document_url) of the invoices of an import file that give one (read before the
    file is checked: the importer refuses whatever is malformed)."""
    found = []
    for org in raw.get("organisations", []) if isinstance(raw, dict) else []:
        for inv in org.get("invoices", []) if isinstance(org, dict) else []:
            if isinstance(inv, dict) and isinstance(inv.get("document_url"), str):
                found.append((str(org.get("slug")), str(inv.get("number")), inv["document_url"]))
    return found


async def fetch_for_import(settings: Settings, db: Database, raw: Any, source: str) -> list[FetchedForInvoice]:
    """The documents an import names by URL, fetched and checked before anything is written: a URL that
    is refused or brings no acceptable document rejects the import, naming the invoice and the field.
    A URL an invoice's document was fetched from already is not fetched again."""
    wanted = _wanted(raw)
    if not wanted:
        return []
    async with db.session() as session:
        known = set((await session.exec(
            select(Organisation.slug, Invoice.number, Document.source_url)
            .join(Document, Document.org_id == Organisation.id).join(Invoice, Invoice.id == Document.invoice_id)
            .where(col(Document.source_url).in_([url for _, _, url in wanted])))).all())
    todo = [item for item in wanted if item not in known]
    gate = asyncio.Semaphore(FETCHES_AT_ONCE)

    async def one(org_slug: str, number: str, url: str) -> FetchedForInvoice:
        at = f"organisation {org_slug!r} › invoice {number!r} › document_url"
        async with gate:
            data = await fetched(settings, url, at)
        library.check(NewDocument(data, name_in(url)), at)
        return FetchedForInvoice(org_slug, number, url, data)

    outcomes = await asyncio.gather(*(one(*item) for item in todo), return_exceptions=True)
    problems = [str(o) for o in outcomes if isinstance(o, limits.Refused)]
    if problems:
        raise ImportRejected(source, problems)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return list(outcomes)


async def keep_for_import(settings: Settings, db: Database, documents: list[FetchedForInvoice]) -> None:
    for d in documents:
        await add_bytes(settings, db, d.org_slug, NewDocument(d.data, name_in(d.url), d.number, source_url=d.url))
