"""`relance renewal upcoming|show|cancel`: the renewal notices of an organisation, from the command line.

Each prints what the host application's calls in starter/renewal.py answer (the HTTP API answers the same).
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from relance.cli.common import connect, connect_when_asked, group, runs, who

renewal = group("renewal", help="contract renewal notices: upcoming, show, cancel")
COMMANDS = [renewal]


@runs(renewal, "upcoming", help="the notices due now and in the next days")
@click.argument("org")
@click.option("--days", type=int, default=30, help="how far ahead (default 30)")
async def _upcoming(settings, args, with_db, say) -> int:
    from starter.renewal import upcoming_notices

    up = await with_db(settings, lambda db: upcoming_notices(db, args.org, datetime.now(UTC), args.days))
    say(f"renewal notices of {args.org} from {up.first_day} to {up.last_day} ({up.alert_days} days before each term "
        f"ends; renewals {'on' if up.enabled else 'OFF: nothing will be sent'}):")
    for n in up.notices:
        say(f"  {n.notice_date}  {n.contract:14} term ends {n.term_end}  {n.account} → "
            f"{n.recipient or 'NO RECIPIENT (recorded not sent)'}  [{n.status}]")
    say(f"{len(up.notices)} notice(s)")
    return 0


@runs(renewal, "show", help="a contract's terms and its notices")
@click.argument("org")
@click.argument("contract")
async def _show(settings, args, with_db, say) -> int:
    from relance import calendar
    from starter.renewal import contract_report

    client_of = connect_when_asked(settings)

    report = await with_db(settings, lambda db: contract_report(client_of, db, args.org, args.contract,
                                                                 datetime.now(UTC)))
    file = report.file
    c, tz = file.contract, file.org.timezone
    period = f"{c.period} ({c.years} years)" if c.years else c.period
    say(f"contract {c.ref} of {file.account.name} ({file.account.ref}): {period} from {c.start_date}, "
        f"{'tacit renewal' if c.tacit_renewal else 'no tacit renewal'}, {c.status}"
        + (f", amount {c.amount}" if c.amount is not None else ""))
    contact = file.billing_contact
    say(f"  billing contact: {f'{contact.first_name} {contact.last_name} <{contact.email}>' if contact else 'none'}")
    if report.current_term_end is None:
        say("  the contract has ended (no tacit renewal)")
    else:
        say(f"  current term ends {report.current_term_end}; its notice is due {report.current_notice_due} "
            f"({report.current_workflow_id})")
    say("  notices:" if report.notices else "  no notice yet")
    for row in report.notices:
        line = f"    term {row.term_end}: {row.state}"
        if row.outcome:
            line += f", {row.outcome}" + (f" ({row.reason})" if row.reason not in (None, row.outcome) else "")
        if row.recipient:
            line += f" → {row.recipient}"
        if row.provider_message_id:
            line += f" [{row.provider_message_id}]"
        if row.detail:
            line += f"; {row.detail}"
        if (status := report.live.get(row.workflow_id)) is not None:
            line += f"; now {status.state}" + (
                f", sends at {calendar.written(status.send_at, tz)}" if status.send_at else "")
        elif row.workflow_id in report.live_errors:
            line += f" (live state unavailable: {report.live_errors[row.workflow_id]})"
        say(line)
    return 0


@runs(renewal, "cancel", help="cancel a contract's notice not sent yet")
@click.argument("org")
@click.argument("contract")
@click.option("--reason", required=True)
@click.option("--by", default=who)
async def _cancel(settings, args, with_db, say) -> int:
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
