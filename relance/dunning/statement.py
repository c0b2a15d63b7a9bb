"""A customer statement on demand: the account's open invoices, amounts due and totals per currency,
rendered (JSON or text) or sent now through the one send path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import About, Account, Contact, Invoice
from relance import limits
from relance.db import Database
from relance.dunning import listing, repository
from relance.email import ledger
from relance.email.compose import Composition
from relance.email.mailer import SesMailer
from relance.email.sending import SendResult, SendStatus, send_once


@dataclass
class Statement:
    account: str
    name: str
    lines: list[listing.Line]
    totals: dict[str, Decimal]
    composition: Composition

    @property
    def text(self) -> str:
        email = self.composition.email
        return email.text if email else listing.as_text(self.lines, "en")


async def account_row(session: AsyncSession, org_id: int, org_slug: str, ref: str) -> Account:
    account = (await session.exec(select(Account).where(Account.org_id == org_id, Account.ref == ref))).first()
    if account is None:
        raise repository.NotFound(f"account {ref!r} of organisation {org_slug!r} not found")
    return account


async def build(session: AsyncSession, mailer: SesMailer, org_slug: str, account_ref: str,
                now: datetime) -> Statement:
    """Refused (limits.Refused) for a customer with nothing due: a statement of nothing is no statement."""
    org = await repository.organisation(session, org_slug)
    account = await account_row(session, org.id, org_slug, account_ref)
    lines = await listing.open_lines(session, org, account)
    if not lines:
        raise limits.Refused(f"account {account_ref!r}: nothing due, no statement to make")
    contacts = list((await session.exec(select(Contact).where(Contact.account_id == account.id))).all())
    first = (await session.exec(select(Invoice).where(Invoice.org_id == org.id,
                                                      Invoice.number == lines[0].number))).one()
    composition = await listing.compose_listing(session, mailer, org, account, contacts, first, lines, now,
                                                kind="statement")
    return Statement(account.ref, account.name, lines, listing.totals(lines), composition)


async def send(db: Database, mailer: SesMailer, org_slug: str, account_ref: str, now: datetime,
               request_key: str) -> tuple[Statement, SendResult]:
    """Send it now, once per `request_key` (the caller's retry of the same request sends nothing more)."""
    async with db.session() as session:
        statement = await build(session, mailer, org_slug, account_ref, now)
        org = await repository.organisation(session, org_slug)
    email = statement.composition.email
    if email is None:
        raise limits.Refused(f"account {account_ref!r}: statement not sent: {statement.composition.reason} "
                             f"({statement.composition.detail})")
    key = f"statement:{org_slug}:{account_ref}:{request_key}"
    source = ledger.Source(org.id, f"statement:{org_slug}:{account_ref}", About("account", account_ref))
    result = await send_once(db, mailer, key, email, source, now)
    if result.status == SendStatus.SENDER_REFUSED:
        raise limits.Refused(f"account {account_ref!r}: statement not sent: {email.sender_address} is not a "
                             "verified SES identity")
    return statement, result
