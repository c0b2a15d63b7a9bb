"""Reads shared by activities, the starter API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Account,
    Contact,
    Contract,
    ContractStatus,
    DunningRun,
    Invoice,
    InvoiceStatus,
    Organisation,
    Payment,
    RenewalSettings,
)
from relance import rules
from relance.renewal_terms import Period


class NotFound(LookupError):
    pass


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


async def organisation(session: AsyncSession, slug: str) -> Organisation:
    org = (await session.exec(select(Organisation).where(Organisation.slug == slug))).first()
    if org is None:
        raise NotFound(f"organisation {slug!r} not found")
    return org


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


@dataclass
class ContractFile:
    """A contract with everything a renewal decision needs."""

    org: Organisation
    settings: RenewalSettings
    contract: Contract
    account: Account
    billing_contact: Contact | None


async def renewal_settings(session: AsyncSession, org: Organisation) -> RenewalSettings:
    """An organisation never configured has renewals off."""
    return await session.get(RenewalSettings, org.id) or RenewalSettings(org_id=org.id)


async def contract_file(session: AsyncSession, org_slug: str, ref: str) -> ContractFile:
    org = await organisation(session, org_slug)
    contract = (await session.exec(select(Contract).where(Contract.org_id == org.id, Contract.ref == ref))).first()
    if contract is None:
        raise NotFound(f"contract {ref!r} of organisation {org_slug!r} not found")
    account = await session.get(Account, contract.account_id)
    contact = await session.get(Contact, contract.billing_contact_id) if contract.billing_contact_id else None
    return ContractFile(org, await renewal_settings(session, org), contract, account, contact)


async def renewal_contracts(session: AsyncSession, org_id: int, after_id: int = 0,
                            limit: int | None = None) -> list[Contract]:
    """The contracts seed 000 inspects: not settled, commitment period not monthly; by id."""
    return list((await session.exec(
        select(Contract)
        .where(Contract.org_id == org_id, Contract.id > after_id, Contract.status != ContractStatus.SETTLED,
               Contract.period != Period.MONTHLY)
        .order_by(Contract.id)
        .limit(limit)
    )).all())


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
