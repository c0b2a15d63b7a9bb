"""One invoice from the host application (HTTP API), checked and written as an import file's are:
the same field rules (format.InvoiceIn), the same reference checks, every problem named, nothing
written unless there is none."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from models import Account, AppUser, Contact
from relance import repository
from relance.db import Database
from relance.importing.format import InvoiceIn
from relance.importing.importer import ImportRejected, ImportReport, InvoiceLinks, invoice_problems, write_invoices


async def save_invoice(db: Database, org_slug: str, inv: InvoiceIn, today: date) -> ImportReport:
    """Create or update the invoice; the report's new_invoices / changed_invoices say which happened."""
    report = ImportReport()
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        account = (await session.exec(select(Account).where(
            Account.org_id == org.id, Account.ref == inv.account))).first()
        contact = (await session.exec(select(Contact).where(
            Contact.org_id == org.id, Contact.ref == inv.contact))).first() if inv.contact else None
        creator = (await session.exec(select(AppUser).where(
            AppUser.org_id == org.id, AppUser.email == inv.creator))).first() if inv.creator else None
        problems = invoice_problems(
            f"organisation {org_slug!r} › invoice {inv.number!r}", inv,
            accounts={account.ref} if account else set(),
            contacts={contact.ref: account.ref} if contact and account and contact.account_id == account.id else {},
            users={creator.email} if creator else set())
        if problems:
            raise ImportRejected(f"invoice {inv.number!r}", problems)
        links = InvoiceLinks(account.id, contact.id if contact else None, creator.id if creator else None)
        await write_invoices(session, org, [inv], lambda _: links, today, report)
    return report
