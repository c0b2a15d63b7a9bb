"""Five months of the demo's past dunning, so the reports have something to show: invoices that runs
reminded before relance was set up here, each with its ended run, its timeline, its ledger rows and
its payments, as the engine writes them. Paid after the first, second or third reminder, or never; one
customer has no address (not sent). Written once, with the demo's first import; invoices F2026-H01...
have ended runs, so the sweep leaves them alone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlmodel import select

from models import (
    Account,
    Contact,
    DunningRun,
    EmailLedgerEntry,
    Invoice,
    Organisation,
    Payment,
    RunEvent,
    ScenarioStep,
)
from relance import calendar
from relance.db import Database

# (account, amount incl. tax, days from invoice to today, after which email the invoice was paid (1-based
# among the email steps; None: never), days from that email to the payment)
HISTORY = [
    ("C001", "1440.00", 165, 1, 2), ("C002", "612.00", 160, 2, 6), ("C003", "2280.00", 152, 2, 3),
    ("C005", "954.00", 146, 1, 1), ("C004", "336.00", 140, None, 0), ("C001", "1860.00", 133, 3, 9),
    ("C002", "420.00", 126, 2, 4), ("C003", "780.00", 120, None, 0), ("C005", "3120.00", 113, 1, 3),
    ("C001", "552.00", 106, 2, 12), ("C003", "1296.00", 99, 3, 5), ("C002", "2040.00", 92, 1, 2),
    ("C005", "684.00", 86, 2, 8), ("C004", "264.00", 80, None, 0), ("C001", "1188.00", 75, 2, 2),
    ("C003", "900.00", 70, None, 0),
]
PAYMENT_TERMS = 30
HISTORY_PREFIX = "F2026-H"  # the history's invoice numbers


async def write_history(db: Database, org_slug: str, today: date) -> int:
    """Writes the history unless it is there; answers the number of invoices written."""
    async with db.session() as session:
        org = (await session.exec(select(Organisation).where(Organisation.slug == org_slug))).one()
        if (await session.exec(select(Invoice.id).where(Invoice.org_id == org.id,
                                                        Invoice.number == _number(1)))).first():
            return 0
        accounts = {a.ref: a for a in (await session.exec(select(Account).where(Account.org_id == org.id))).all()}
        steps = (await session.exec(select(ScenarioStep).where(ScenarioStep.scenario_id == org.default_scenario_id)
                                    .order_by(ScenarioStep.position))).all()
        emails = [step for step in steps if step.kind == "email"]
        contacts = (await session.exec(select(Contact).where(Contact.org_id == org.id, Contact.email.is_not(None))
                                       .order_by(Contact.is_billing.desc(), Contact.id))).all()
        addresses = {a.id: a.email for a in accounts.values() if a.email}
        for contact in contacts:
            addresses.setdefault(contact.account_id, contact.email)
        for n, (account_ref, amount, age, paid_after, delay) in enumerate(HISTORY, start=1):
            account = accounts[account_ref]
            invoice = Invoice(org_id=org.id, number=_number(n), account_id=account.id,
                              invoice_date=today - timedelta(days=age),
                              due_date=today - timedelta(days=age - PAYMENT_TERMS), amount_excl_tax=
                              (Decimal(amount) / Decimal("1.2")).quantize(Decimal("0.01")),
                              amount_incl_tax=Decimal(amount), status="paid" if paid_after else "issued")
            session.add(invoice)
            await session.flush()
            _run(session, org, invoice, addresses.get(account.id), emails, paid_after, delay)
        return len(HISTORY)


def _number(n: int) -> str:
    return f"{HISTORY_PREFIX}{n:02}"


def _run(session, org: Organisation, invoice: Invoice, address: str | None, emails: list[ScenarioStep],
         paid_after: int | None, delay: int) -> None:
    workflow_id = f"dunning:{org.slug}:{invoice.number}"
    went = emails[:paid_after] if paid_after else emails
    days = _days(went, invoice.due_date)
    started = _at(invoice.due_date - timedelta(days=3), org.timezone)
    paid_on = days[-1] + timedelta(days=delay) if paid_after else None
    ended = _at(paid_on, org.timezone) if paid_on else _at(days[-1] + timedelta(days=60), org.timezone)
    session.add(DunningRun(workflow_id=workflow_id, org_id=org.id, invoice_id=invoice.id,
                           scenario_id=org.default_scenario_id, state="ended", current_step=went[-1].position,
                           started_at=started, ended_at=ended, exit_reason="paid" if paid_on else "completed"))
    for step, day in zip(went, days, strict=True):
        key, at = f"{workflow_id}:{step.position}:email", _at(day, org.timezone)
        sent = address is not None
        message_id = f"demo-history-{invoice.number}-{step.position}" if sent else None
        reason = None if sent else "no_recipient"
        session.add(RunEvent(workflow_id=workflow_id, step_position=step.position, kind="email",
                             outcome="sent" if sent else "not_sent", reason=reason, recipient=address,
                             subject=step.label, provider_message_id=message_id, idem_key=key, occurred_at=at))
        session.add(EmailLedgerEntry(idem_key=key, org_id=org.id, workflow_id=workflow_id, about_kind="invoice",
                                     about_ref=invoice.number, state="sent" if sent else "not_sent", reason=reason,
                                     recipient=address, subject=step.label, provider_message_id=message_id,
                                     claimed_at=at, settled_at=at))
    if paid_on:
        session.add(Payment(invoice_id=invoice.id, ref=f"VIR-{invoice.number}", amount=invoice.amount_incl_tax,
                            paid_on=paid_on))
    session.add(RunEvent(workflow_id=workflow_id, kind="exit", outcome="exited",
                         reason="paid" if paid_on else "completed", idem_key=f"{workflow_id}:exit", occurred_at=ended))


def _days(steps: list[ScenarioStep], due: date) -> list[date]:
    """The days the email steps went: their offsets from the due date, or 20 days after the one before."""
    days: list[date] = []
    for step in steps:
        days.append(due + timedelta(days=step.offset_days) if step.offset_days is not None
                    else days[-1] + timedelta(days=20))
    return days


def _at(day: date, tz: str) -> datetime:
    return calendar.at_local(day, time(10, 0), tz)
