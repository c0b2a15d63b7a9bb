"""`relance renewal upcoming|show|cancel`: the renewal notices of an organisation, from the command line.

`upcoming` forecasts with the same term arithmetic and the same contract query as the nightly
inspection (relance.renewal.terms, repository.renewal_contracts), so what it lists is what goes.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from models import Account, Contact, RenewalNotice
from relance.config import Settings
from relance.renewal import repository
from relance.renewal.ids import renewal_workflow_id
from relance.renewal.terms import Commitment, contract_notices, notice_date
from relance.temporal.client import connect


def add_parser(sub) -> None:
    renewal = sub.add_parser("renewal", help="contract renewal notices: upcoming, show, cancel")
    commands = renewal.add_subparsers(dest="renewal_command", required=True)
    upcoming = commands.add_parser("upcoming", help="the notices due now and in the next days")
    upcoming.add_argument("org")
    upcoming.add_argument("--days", type=int, default=30, help="how far ahead (default 30)")
    show = commands.add_parser("show", help="a contract's terms and its notices")
    cancel = commands.add_parser("cancel", help="cancel a contract's notice not sent yet")
    for command in (show, cancel):
        command.add_argument("org")
        command.add_argument("contract")
    cancel.add_argument("--reason", required=True)
    cancel.add_argument("--by", default=os.environ.get("USER", "cli"))


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    command = {"upcoming": _upcoming, "show": _show, "cancel": _cancel}[args.renewal_command]
    return await command(settings, args, with_db, say)


async def _upcoming(settings: Settings, args, with_db, say) -> int:
    async def work(db):
        async with db.session() as session:
            org = await repository.organisation(session, args.org)
            renewals = await repository.renewal_settings(session, org)
            contracts = await repository.renewal_contracts(session, org.id)
            accounts = await _by_id(session, Account, {c.account_id for c in contracts})
            contacts = await _by_id(session, Contact, {c.billing_contact_id for c in contracts})
            rows = (await session.exec(select(RenewalNotice).where(RenewalNotice.org_id == org.id))).all()
        return org, renewals, contracts, accounts, contacts, {(r.contract_id, r.term_end): r for r in rows}

    org, renewals, contracts, accounts, contacts, recorded = await with_db(settings, work)
    today = datetime.now(ZoneInfo(org.timezone)).date()
    last_day = today + timedelta(days=args.days)
    lines = []
    for contract in contracts:
        contact = contacts.get(contract.billing_contact_id)
        recipient = contact.email if contact and contact.email else "NO RECIPIENT (recorded not sent)"
        for notice in contract_notices(contract, renewals.alert_days, today, last_day):
            row = recorded.get((contract.id, notice.term_end))
            status = (row.outcome or row.state) if row else "due now" if notice.notice_date <= today else "planned"
            lines.append((notice.notice_date, f"  {notice.notice_date}  {contract.ref:14} term ends {notice.term_end}"
                                              f"  {accounts[contract.account_id].name} → {recipient}  [{status}]"))
    say(f"renewal notices of {org.slug} from {today} to {last_day} ({renewals.alert_days} days before each term "
        f"ends; renewals {'on' if renewals.enabled else 'OFF: nothing will be sent'}):")
    for _, line in sorted(lines):
        say(line)
    say(f"{len(lines)} notice(s)")
    return 0


async def _show(settings: Settings, args, with_db, say) -> int:
    from workflows.renewal import RenewalNoticeWorkflow

    async def work(db):
        async with db.session() as session:
            file = await repository.contract_file(session, args.org, args.contract)
            rows = (await session.exec(select(RenewalNotice).where(RenewalNotice.contract_id == file.contract.id)
                                       .order_by(RenewalNotice.term_end))).all()
        return file, rows

    file, rows = await with_db(settings, work)
    c, org = file.contract, file.org
    today = datetime.now(ZoneInfo(org.timezone)).date()
    period = f"{c.period} ({c.years} years)" if c.years else c.period
    say(f"contract {c.ref} of {file.account.name} ({file.account.ref}): {period} from {c.start_date}, "
        f"{'tacit renewal' if c.tacit_renewal else 'no tacit renewal'}, {c.status}"
        + (f", amount {c.amount}" if c.amount is not None else ""))
    contact = file.billing_contact
    say(f"  billing contact: {f'{contact.first_name} {contact.last_name} <{contact.email}>' if contact else 'none'}")
    commitment = Commitment.of(c.start_date, c.period, c.years, c.tacit_renewal)
    term_end = commitment.current_term_end(today)
    if term_end is None:
        say("  the contract has ended (no tacit renewal)")
    else:
        due = notice_date(commitment, term_end, file.settings.alert_days)
        workflow_id = renewal_workflow_id(org.slug, c.ref, term_end)
        say(f"  current term ends {term_end}; its notice is due {due} ({workflow_id})")
    say("  notices:" if rows else "  no notice yet")
    client = None
    for row in rows:
        line = f"    term {row.term_end}: {row.state}"
        if row.outcome:
            line += f", {row.outcome}" + (f" ({row.reason})" if row.reason else "")
        if row.recipient:
            line += f" → {row.recipient}"
        if row.provider_message_id:
            line += f" [{row.provider_message_id}]"
        if row.detail:
            line += f"; {row.detail}"
        if row.ended_at is None:
            client = client or await connect(settings)
            try:
                status = await client.get_workflow_handle(row.workflow_id).query(RenewalNoticeWorkflow.status)
                line += f"; now {status.state}" + (f", sends at {status.send_at:%Y-%m-%d %H:%M %Z}"
                                                   if status.send_at else "")
            except Exception as exc:  # no worker running: the database still tells the story
                line += f" (live state unavailable: {exc})"
        say(line)
    return 0


async def _cancel(settings: Settings, args, with_db, say) -> int:
    from starter.renewal import cancel_renewal_notice

    client = await connect(settings)
    told = await with_db(settings, lambda db: cancel_renewal_notice(client, db, args.org, args.contract, args.reason,
                                                                     args.by))
    if not told:
        say(f"contract {args.contract} of {args.org} has no renewal notice waiting to be sent")
        return 1
    for workflow_id in told:
        say(f"renewal notice {workflow_id} cancelled ({args.reason}, by {args.by})")
    return 0


async def _by_id(session, model, ids: set) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in (await session.exec(select(model).where(col(model.id).in_(ids)))).all()}
