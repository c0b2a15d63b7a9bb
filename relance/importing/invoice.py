"""One invoice from the host application (HTTP API), checked and written as an import file's are:
the same field rules (format.InvoiceIn), the same reference checks, every problem named, nothing
written unless there is none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, AppUser, Contact, Organisation
from relance import limits, repository
from relance.db import Database
from relance.importing.format import InvoiceIn
from relance.importing.importer import (
    ImportRejected,
    ImportReport,
    InvoiceLinks,
    invoice_amount_problems,
    invoice_problems,
    invoice_reference_problems,
    write_invoices,
)


@dataclass
class Known:
    """What an invoice's references name in the organisation (None: nothing by that name)."""

    account: Account | None
    contact: Contact | None
    creator: AppUser | None

    @property
    def accounts(self) -> set[str]:
        return {self.account.ref} if self.account else set()

    @property
    def contacts(self) -> dict[str, str]:
        c, a = self.contact, self.account
        return {c.ref: a.ref} if c and a and c.account_id == a.id else {}

    @property
    def users(self) -> set[str]:
        return {self.creator.email} if self.creator else set()


async def _known(session: AsyncSession, org: Organisation, account: str, contact: str | None,
                 creator: str | None) -> Known:
    return Known(
        (await session.exec(select(Account).where(Account.org_id == org.id, Account.ref == account))).first(),
        (await session.exec(select(Contact).where(
            Contact.org_id == org.id, Contact.ref == contact))).first() if contact else None,
        (await session.exec(select(AppUser).where(
            AppUser.org_id == org.id, AppUser.email == creator))).first() if creator else None)


def _at(org_slug: str, number: str) -> str:
    return f"organisation {org_slug!r} › invoice {number!r}"


async def save_invoice(db: Database, org_slug: str, inv: InvoiceIn, today: date) -> ImportReport:
    """Create or update the invoice; the report's new_invoices / changed_invoices say which happened."""
    report = ImportReport()
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        known = await _known(session, org, inv.account, inv.contact, inv.creator)
        at = _at(org_slug, inv.number)
        problems = invoice_problems(at, inv, known.accounts, known.contacts, known.users)
        problems += invoice_amount_problems(at, inv, org.currency)
        if problems:
            raise ImportRejected(f"invoice {inv.number!r}", problems)
        links = InvoiceLinks(known.account.id, known.contact.id if known.contact else None,
                             known.creator.id if known.creator else None)
        await write_invoices(session, org, [inv], lambda _: links, today, report)
    return report


def _is_identifier(value: object) -> bool:
    """Text the database can look up (a value it cannot is a field problem named already)."""
    try:
        return isinstance(value, str) and bool(limits.check_identifier(value))
    except ValueError:
        return False


async def reference_problems(db: Database, org_slug: str, number: str, raw: dict) -> list[str]:
    """The references of an invoice body refused for its fields (those given as text), so that one
    answer names every problem: a bad date does not hide an unknown account."""
    account, contact, creator = (raw.get(name) if _is_identifier(raw.get(name)) else None
                                 for name in ("account", "contact", "creator"))
    if account is None:
        return []
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        known = await _known(session, org, account, contact, creator)
    return invoice_reference_problems(_at(org_slug, number), account, contact, creator, known.accounts,
                                      known.contacts, known.users)
