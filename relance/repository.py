"""Reads shared by activities, the starter API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Contact, Invoice, Organisation, Payment
from relance import rules


class NotFound(LookupError):
    pass


@dataclass
class InvoiceFile:
    """An invoice with everything a dunning decision needs."""

    org: Organisation
    invoice: Invoice
    account: Account
    contacts: list[Contact]
    payments: list[Payment]

    @property
    def amount_due(self) -> Decimal:
        return rules.amount_due(self.invoice, self.payments)


async def organisation(session: AsyncSession, slug: str) -> Organisation:
    org = (await session.exec(select(Organisation).where(Organisation.slug == slug))).first()
    if org is None:
        raise NotFound(f"organisation {slug!r} not found")
    return org


async def invoice_file(session: AsyncSession, org_slug: str, number: str) -> InvoiceFile:
    org = await organisation(session, org_slug)
    invoice = (
        await session.exec(select(Invoice).where(Invoice.org_id == org.id, Invoice.number == number))
    ).first()
    if invoice is None:
        raise NotFound(f"invoice {number!r} of organisation {org_slug!r} not found")
    account = await session.get(Account, invoice.account_id)
    contacts = list((await session.exec(select(Contact).where(Contact.account_id == invoice.account_id))).all())
    payments = list((await session.exec(select(Payment).where(Payment.invoice_id == invoice.id))).all())
    return InvoiceFile(org, invoice, account, contacts, payments)


async def account_refs(session: AsyncSession, account_ids: set[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    rows = (await session.exec(select(Account.id, Account.ref).where(Account.id.in_(account_ids)))).all()
    return {row.id: row.ref for row in rows}
