"""The dunning domain's reads: an invoice with everything a decision needs, the sweep's selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Contact, DunningRun, Invoice, InvoiceStatus, Organisation, Payment
from relance.dunning import rules
from relance.repository import NotFound, account_refs, organisation, organisation_today  # noqa: F401  (one module for the domain's reads)


@dataclass
class InvoiceFile:
    """An invoice with everything a dunning decision needs."""

    org: Organisation
    invoice: Invoice
    account: Account
    contacts: list[Contact]
    paid: Decimal  # the sum of its payments

    @property
    def amount_due(self) -> Decimal:
        return rules.amount_due(self.invoice, self.paid)


# Every step of every run reads an invoice file, so its two queries are built once (bound parameters):
# building and hashing a statement per call cost as much CPU as running it (bench/).
_INVOICE_FILE = (
    select(Organisation, Invoice, Account,
           select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.invoice_id == Invoice.id)
           .scalar_subquery())
    .join(Invoice, Invoice.org_id == Organisation.id)
    .join(Account, Account.id == Invoice.account_id)
    .where(Organisation.slug == bindparam("org_slug"), Invoice.number == bindparam("number"))
)
_CONTACTS = select(Contact).where(Contact.account_id == bindparam("account_id"))


async def invoice_file(session: AsyncSession, org_slug: str, number: str, with_contacts: bool = True) -> InvoiceFile:
    """Organisation, invoice, account and amount paid in one query; the contacts in a second one
    (not needed to plan a run). Every step of every run reads it: round trips count (bench/)."""
    row = (await session.exec(_INVOICE_FILE, params={"org_slug": org_slug, "number": number})).first()
    if row is None:
        await organisation(session, org_slug)  # names the organisation when it is the one missing
        raise NotFound(f"invoice {number!r} of organisation {org_slug!r} not found")
    org, invoice, account, amount_paid = row
    contacts = list((await session.exec(_CONTACTS, params={"account_id": invoice.account_id})).all()
                    ) if with_contacts else []
    return InvoiceFile(org, invoice, account, contacts, Decimal(amount_paid))


async def overdue_without_run(session: AsyncSession, org_id: int, today: date, after_id: int, limit: int,
                              due_only: bool = True):
    """A page (by id) of the invoices the sweep of `today` starts: due date passed (or any, with
    `due_only` off: the organisation starts runs at creation), amount still due, nothing that stops a
    run (paid, in payment, do-not-remind, payment schedule), no run yet."""
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
            Invoice.due_date < today if due_only else true(),
            Invoice.amount_incl_tax > paid.scalar_subquery(),
            ~has_run,
        )
        .order_by(Invoice.id)
        .limit(limit)
    )).all()
