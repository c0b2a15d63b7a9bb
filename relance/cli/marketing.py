"""`relance marketing enrol|remove|show`: marketing enrolments from the command line.

Each prints what the host application's calls in starter/marketing.py answer (the HTTP API answers the same).
"""

from __future__ import annotations

import argparse
import os

from relance import calendar
from relance.config import Settings
from relance.scenario.plan import step_name
from relance.temporal.client import connect

OUTCOMES = {
    "started": "enrolled: the run started",
    "already_running": "already running in this scenario: nothing done",
    "finished_no_reentry": "finished this scenario already, which takes nobody twice: nothing done",
    "refused_opted_out": "opted out of marketing: not enrolled",
    "refused_contact_deleted": "deleted: not enrolled",
    "refused_scenario_switched_off": "the scenario is switched off: not enrolled",
}


def add_parser(sub) -> None:
    marketing = sub.add_parser("marketing", help="marketing scenarios: enrol, remove, show a contact")
    commands = marketing.add_subparsers(dest="marketing_command", required=True)
    enrol = commands.add_parser("enrol", help="enrol a contact, or every contact with a tag or of an account")
    enrol.add_argument("org")
    enrol.add_argument("scenario")
    enrol.add_argument("contact", nargs="?")
    batch = enrol.add_mutually_exclusive_group()
    batch.add_argument("--tag", help="every contact with this tag")
    batch.add_argument("--account", help="every contact of this account")
    enrol.add_argument("--by", default=os.environ.get("USER", "cli"))
    remove = commands.add_parser("remove", help="take a contact out of a scenario now (recorded with who and why)")
    remove.add_argument("org")
    remove.add_argument("scenario")
    remove.add_argument("contact")
    remove.add_argument("--reason", required=True)
    remove.add_argument("--by", default=os.environ.get("USER", "cli"))
    show = commands.add_parser("show", help="a contact's tags, consent and marketing enrolments")
    show.add_argument("org")
    show.add_argument("contact")


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    command = {"enrol": _enrol, "remove": _remove, "show": _show}[args.marketing_command]
    return await command(settings, args, with_db, say)


def _describe(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome)


async def _enrol(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    if (args.contact is None) == (args.tag is None and args.account is None):
        say("give a contact, or --tag T, or --account A (one of them)")
        return 2
    client = await connect(settings)
    if args.contact is not None:
        line = await with_db(settings, lambda db: marketing.enrol(
            client, db, settings.task_queue, args.org, args.scenario, args.contact, args.by))
        say(f"contact {line.contact_ref}: {_describe(line.outcome)} ({line.workflow_id})")
        return 0

    def progress(n: int, total: int, line) -> None:
        say(f"  [{n}/{total}] {line.contact_ref}: {_describe(line.outcome)}")

    result = await with_db(settings, lambda db: marketing.enrol_batch(
        client, db, settings.task_queue, args.org, args.scenario, args.by, tag=args.tag, account_ref=args.account,
        progress=progress))
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(result.outcomes.items())) or "nobody to enrol"
    say(f"{result.total} contact(s): {counts}")
    return 0


async def _remove(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    say(await marketing.remove(await connect(settings), args.org, args.scenario, args.contact, args.by, args.reason))
    return 0


async def _show(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    client = None

    async def client_of():
        nonlocal client
        client = client or await connect(settings)
        return client

    report = await with_db(settings, lambda db: marketing.show(client_of, db, args.org, args.contact))
    c, tz = report.contact, report.timezone

    def local(moment) -> str:
        return f"{calendar.in_zone(moment, tz):%Y-%m-%d %H:%M}" if moment else "-"

    say(f"contact {c.ref}: {f'{c.first_name} {c.last_name}'.strip() or '(no name)'} <{c.email or 'no address'}>"
        f", tags: {', '.join(c.tags) or 'none'}" + (", DELETED" if c.deleted_at else ""))
    say(f"  marketing consent: opted out {local(c.opted_out_at)} via {c.opted_out_via}" if c.opted_out
        else "  marketing consent: subscribed")
    say("  enrolments:" if report.enrolments else "  no enrolment")
    for line in report.enrolments:
        r = line.row
        if r.ended_at is not None:
            state = f"ended {local(r.ended_at)}: {r.exit_reason}" + (f" ({r.exit_detail})" if r.exit_detail else "")
        elif line.live is not None:
            live = line.live
            step = step_name(live.step_position, live.step_label) if live.step_label else "-"
            state = f"{live.state}, step {step}, next {local(live.next_at)}"
        else:
            state = f"{r.state} (live state unavailable: {line.live_error})"
        emails = line.live.emails_sent if line.live else r.emails_sent
        say(f"    {r.scenario_key}: enrolled {local(r.started_at)} by {r.enrolled_by}, {emails} email(s), {state}")
    return 0
