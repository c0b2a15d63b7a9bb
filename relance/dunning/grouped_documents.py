"""The documents the customer's one email carries: the documents of each listed invoice whose step says
attach_invoice, in the listed order, while they fit in one message (limits.MAX_ATTACHMENTS_BYTES, as for
an invoice's own reminder). An invoice's documents go together or not at all; the invoices whose
documents would not fit are named in the email instead (listing.NOT_ATTACHED), the later ones that still
fit go."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Document, ScenarioStep
from relance import limits
from relance.documents import library
from relance.dunning.repository import InvoiceFile


async def chosen(session: AsyncSession, listed: Iterable[tuple[InvoiceFile, ScenarioStep]]
                 ) -> tuple[list[Document], list[str]]:
    """The documents to attach, and the numbers of the invoices whose documents are left out."""
    documents: list[Document] = []
    left_out: list[str] = []
    total = 0
    for file, step in listed:
        if not step.attach_invoice:
            continue
        own = await library.of_invoice(session, file.invoice.id)
        size = sum(d.size for d in own)
        if total + size > limits.MAX_ATTACHMENTS_BYTES:
            left_out.append(file.invoice.number)
            continue
        documents += own
        total += size
    return documents, left_out
