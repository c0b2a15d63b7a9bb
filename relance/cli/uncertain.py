"""`relance uncertain [--settle]`: the sends still uncertain, where ops look.

A run or notice that is still going settles its own uncertain send after the reconciliation window
(SES's events confirm it, or it is sent again). What is left here is at most once: a send whose run has
ended meanwhile (the invoice was paid, the run cancelled or terminated), or one made with no SES events
queue configured (nothing can tell whether SES took it). The list drains SES's events first and says,
for each, whether SES took it. `--settle` records that answer on the ledger: sent (with SES's message
id) when an event shows SES took it, else not_sent ("no SES event: never reached SES"), so a person can
send it again knowing it never went.
"""

from __future__ import annotations

import click

from relance.cli.common import connect, runs

COMMANDS: list[click.Command] = []

NEVER_REACHED = "no SES event: never reached SES"


@runs(COMMANDS, "uncertain", help="sends left uncertain (a worker died mid-send), and what SES says of them")
@click.option("--org", help="one organisation (slug)")
@click.option("--settle", is_flag=True,
              help="record SES's answer for those whose run has ended: sent, or not_sent (never reached SES)")
async def uncertain(settings, args, with_db, say) -> int:
    from sqlmodel import col, select

    from models import EmailLedgerEntry, EmailState, Organisation
    from relance import calendar
    from relance.email import events, ledger
    from relance.email.mailer import SesMailer
    from relance.email.sending import Resolution

    client = await connect(settings)

    async def work(db):
        await SesMailer(settings).events.drain(db)
        async with db.session() as session:
            query = (select(EmailLedgerEntry, Organisation.timezone)
                     .join(Organisation, Organisation.id == EmailLedgerEntry.org_id)
                     .where(col(EmailLedgerEntry.state).in_((EmailState.UNCERTAIN, EmailState.CLAIMED)))
                     .order_by(EmailLedgerEntry.claimed_at, EmailLedgerEntry.idem_key))
            rows = list((await session.exec(query)).all())
        settled = 0
        for row, tz in rows:
            if args.org and row.org_id != await _org_id(db, args.org):
                continue
            async with db.session() as session:
                seen = await events.about(session, row.send_tag or ledger.send_tag(row.idem_key))
            accepted = next((e for e in seen if e.kind in events.ACCEPTED), None)
            running = await _running(client, row.workflow_id)
            verdict = f"SES took it ({accepted.kind}, {accepted.provider_message_id})" if accepted else NEVER_REACHED
            say(f"{row.idem_key}  {row.about_kind} {row.about_ref} → {row.recipient}  "
                f"claimed {calendar.written(row.claimed_at, tz)}  "
                f"attempts {row.attempts}  {row.state}: {verdict}"
                + ("  (its run settles it after the window)" if running else ""))
            if args.settle and not running:
                async with db.autocommit() as session:
                    if accepted:
                        await ledger.confirm(session, row.idem_key, accepted.provider_message_id,
                                             accepted.occurred_at, resolution=Resolution.CONFIRMED)
                    else:
                        await ledger.refused(session, row.idem_key, NEVER_REACHED, row.claimed_at)
                settled += 1
        say(f"{len(rows)} send(s) uncertain" + (f"; {settled} settled" if args.settle else
                                                 "; `relance uncertain --settle` records SES's answer for those "
                                                 "whose run has ended"))
        return 0

    return await with_db(settings, work)


async def _running(client, workflow_id: str) -> bool:
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError

    try:
        return (await client.get_workflow_handle(workflow_id).describe()).status == WorkflowExecutionStatus.RUNNING
    except RPCError:
        return False


async def _org_id(db, slug: str) -> int | None:
    from sqlmodel import select

    from models import Organisation

    async with db.session() as session:
        org = (await session.exec(select(Organisation).where(Organisation.slug == slug))).first()
    return org.id if org else None
