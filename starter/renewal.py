"""Calls from the host application (and the CLI) into renewal notices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from temporalio.client import Client

from models import Account, Contact, Contract, RenewalNotice
from relance import calendar
from relance.db import Database
from relance.renewal import repository
from relance.renewal.ids import renewal_workflow_id
from relance.renewal.starting import start_renewal_notice
from relance.renewal.terms import Commitment, contract_notices, notice_date
from relance.renewal.types import NoticeStatus
from relance.scenario.plan import CancelRequest
from relance.temporal.starting import update_if_running
from workflows.renewal import RenewalNoticeWorkflow

__all__ = ["cancel_renewal_notice", "contract_report", "start_renewal_notice", "upcoming_notices"]


async def cancel_renewal_notice(client: Client, db: Database, org_slug: str, contract_ref: str, reason: str,
                                by: str) -> list[str]:
    """Cancel the contract's notices not ended yet (waiting for the send window, or blocked by an
    unverified sender); returns the workflow ids told. A notice already sent cannot be taken back."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        open_notices = (await session.exec(
            select(RenewalNotice.workflow_id).join(Contract, Contract.id == RenewalNotice.contract_id)
            .where(Contract.org_id == org.id, Contract.ref == contract_ref, RenewalNotice.ended_at.is_(None))
        )).all()
    return [workflow_id for workflow_id in open_notices
            if await update_if_running(client, workflow_id, RenewalNoticeWorkflow.cancel, CancelRequest(reason, by))]


@dataclass
class UpcomingNotice:
    notice_date: date
    contract: str
    term_end: date
    account: str
    recipient: str | None  # None: the contract has no billing contact with an address (recorded not sent)
    status: str  # planned | due now | an ended notice's outcome | a running notice's state


@dataclass
class Upcoming:
    enabled: bool
    alert_days: int
    first_day: date
    last_day: date
    notices: list[UpcomingNotice]


async def upcoming_notices(db: Database, org_slug: str, now: datetime, days: int) -> Upcoming:
    """The notices due from today (the organisation's) to `days` later, with the same term arithmetic and
    contract query as the nightly inspection, so what it lists is what goes."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        renewals = await repository.renewal_settings(session, org)
        contracts = await repository.renewal_contracts(session, org.id)
        accounts = await _by_id(session, Account, {c.account_id for c in contracts})
        contacts = await _by_id(session, Contact, {c.billing_contact_id for c in contracts})
        rows = (await session.exec(select(RenewalNotice).where(RenewalNotice.org_id == org.id))).all()
    recorded = {(r.contract_id, r.term_end): r for r in rows}
    today = calendar.local_today(now, org.timezone)
    last_day = today + timedelta(days=days)
    found = []
    for contract in contracts:
        contact = contacts.get(contract.billing_contact_id)
        for notice in contract_notices(contract, renewals.alert_days, today, last_day):
            row = recorded.get((contract.id, notice.term_end))
            status = (row.outcome or row.state) if row else "due now" if notice.notice_date <= today else "planned"
            found.append(UpcomingNotice(notice.notice_date, contract.ref, notice.term_end,
                                        accounts[contract.account_id].name,
                                        contact.email if contact and contact.email else None, status))
    found.sort(key=lambda n: (n.notice_date, n.contract))
    return Upcoming(renewals.enabled, renewals.alert_days, today, last_day, found)


@dataclass
class ContractReport:
    file: repository.ContractFile
    notices: list[RenewalNotice]
    today: date
    current_term_end: date | None  # None: the contract has ended (no tacit renewal)
    current_notice_due: date | None
    current_workflow_id: str | None
    live: dict[str, NoticeStatus] = field(default_factory=dict)  # running notices' own answers
    live_errors: dict[str, str] = field(default_factory=dict)


async def contract_report(client_of: Callable[[], Awaitable[Client]], db: Database, org_slug: str,
                          contract_ref: str, now: datetime) -> ContractReport:
    """A contract's current term and its notices; `client_of()` is asked only for notices still running."""
    async with db.session() as session:
        file = await repository.contract_file(session, org_slug, contract_ref)
        rows = list((await session.exec(select(RenewalNotice).where(RenewalNotice.contract_id == file.contract.id)
                                        .order_by(RenewalNotice.term_end))).all())
    c, org = file.contract, file.org
    today = calendar.local_today(now, org.timezone)
    commitment = Commitment.of(c.start_date, c.period, c.years, c.tacit_renewal)
    term_end = commitment.current_term_end(today)
    report = ContractReport(file, rows, today, term_end, None, None)
    if term_end is not None:
        report.current_notice_due = notice_date(commitment, term_end, file.settings.alert_days)
        report.current_workflow_id = renewal_workflow_id(org.slug, c.ref, term_end)
    for row in rows:
        if row.ended_at is not None:
            continue
        try:
            client = await client_of()
            report.live[row.workflow_id] = await client.get_workflow_handle(row.workflow_id).query(
                RenewalNoticeWorkflow.status)
        except Exception as exc:  # no worker running: the database still tells the story
            report.live_errors[row.workflow_id] = str(exc) or type(exc).__name__
    return report


async def _by_id(session, model, ids: set) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in (await session.exec(select(model).where(col(model.id).in_(ids)))).all()}
