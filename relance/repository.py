"""Reads shared by activities, the starter API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Contact, DunningRun, Invoice, InvoiceStatus, Organisation, Payment
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


async def overdue_without_run(session: AsyncSession, org_id: int, today: date, after_id: int, limit: int):
    """A page (by id) of the invoices the sweep of `today` starts: due date passed, amount still due,
    nothing that stops a run (paid, in payment, do-not-remind, payment schedule), no run yet."""
    paid = select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.invoice_id == Invoice.id)
    has_run = select(DunningRun.workflow_id).where(DunningRun.invoice_id == Invoice.id).exists()
    return (await session.exec(
        select(Invoice.id, Invoice.number, Invoice.account_id)
        .where(
            Invoice.org_id == org_id,
            Invoice.id > after_id,
            Invoice.status == InvoiceStatus.ISSUED,
            col(Invoice.do_not_remind).is_(False),
            col(Invoice.has_payment_schedule).is_(False),
            Invoice.due_date < today,
            Invoice.amount_incl_tax > paid.scalar_subquery(),
            ~has_run,
        )
        .order_by(Invoice.id)
        .limit(limit)
    )).all()
