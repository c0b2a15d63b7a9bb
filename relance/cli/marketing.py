"""`relance marketing enrol|remove|show|preview|switch|campaign`: marketing from the command line.

Each prints what the host application's calls in starter/marketing.py answer (the HTTP API answers the same).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime

from relance import calendar, repository
from relance.config import Settings
from relance.scenario.plan import step_name
from relance.temporal.client import connect, connect_when_asked

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
    switch = commands.add_parser("switch", help="switch a marketing scenario on or off (off: its runs exit now)")
    switch.add_argument("org")
    switch.add_argument("scenario")
    switch.add_argument("state", choices=["on", "off"])
    preview = commands.add_parser("preview", help="what a contact would receive if enrolled now (nothing is sent)")
    preview.add_argument("org")
    preview.add_argument("scenario")
    preview.add_argument("contact")
    _add_campaign_parsers(commands)


def _add_campaign_parsers(commands) -> None:
    campaign = commands.add_parser("campaign", help="email campaigns: create, launch, show, cancel")
    sub = campaign.add_subparsers(dest="campaign_command", required=True)
    create = sub.add_parser("create", help="create or change a draft")
    launch = sub.add_parser("launch", help="launch a draft now (with a progress bar) or --at a time")
    show = sub.add_parser("show", help="a campaign's state, counts and each recipient's record")
    cancel = sub.add_parser("cancel", help="stop a campaign: what is not sent yet is not sent")
    retry = sub.add_parser("retry", help="send a failed recipient's email again, alone")
    for command in (create, launch, show, cancel, retry):
        command.add_argument("org")
        command.add_argument("campaign")
    create.add_argument("--name", required=True)
    create.add_argument("--template", required=True)
    create.add_argument("--sender", help="a user's address (default: the organisation's sender)")
    audience = create.add_mutually_exclusive_group(required=True)
    audience.add_argument("--tag")
    audience.add_argument("--account")
    audience.add_argument("--contact")
    launch.add_argument("--at", type=_moment, help="ISO date-time with offset (default: now)")
    launch.add_argument("--no-wait", action="store_true", help="do not follow the progress")
    cancel.add_argument("--reason", required=True)
    retry.add_argument("contact")
    for command in (create, launch, cancel):
        command.add_argument("--by", default=os.environ.get("USER", "cli"))


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give the offset, e.g. 2026-12-01T09:00+01:00")
    return moment


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    if args.marketing_command == "campaign":
        command = {"create": _campaign_create, "launch": _campaign_launch, "show": _campaign_show,
                   "cancel": _campaign_cancel, "retry": _campaign_retry}[args.campaign_command]
    else:
        command = {"enrol": _enrol, "remove": _remove, "show": _show, "preview": _preview,
                   "switch": _switch}[args.marketing_command]
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

    client_of = connect_when_asked(settings)

    report = await with_db(settings, lambda db: marketing.show(client_of, db, args.org, args.contact))
    c, tz = report.contact, report.timezone

    def local(moment) -> str:
        return calendar.written_or(moment, tz)

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


async def _switch(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    client = await connect(settings)
    woken = await with_db(settings, lambda db: marketing.set_scenario_activation(
        client, db, args.org, args.scenario, args.state == "on"))
    say(f"marketing scenario {args.scenario} switched {args.state}"
        + (f": {woken} running enrolment(s) exit now" if args.state == "off" else ""))
    return 0


async def _preview(settings: Settings, args, with_db, say) -> int:
    from relance.cli.authoring import say_preview
    from relance.email.mailer import SesMailer
    from relance.marketing.consent import Links
    from relance.marketing.preview import preview_enrolment

    links = Links(settings.public_base_url, settings.unsubscribe_secret)
    p = await with_db(settings, lambda db: preview_enrolment(db, SesMailer(settings), links, args.org, args.scenario,
                                                             args.contact, datetime.now(UTC)))
    say(f"contact {p.contact_ref} in {p.scenario_key} v{p.scenario_version}, if enrolled now"
        + (f": refused ({p.refused}), nothing would be sent" if p.refused else ""))
    say_preview(p.steps, say)
    return 0


async def _campaign_create(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    c = await with_db(settings, lambda db: marketing.create_campaign(
        db, args.org, args.campaign, args.name, args.template, args.by, tag=args.tag, account_ref=args.account,
        contact_ref=args.contact, sender=args.sender))
    say(f"campaign {c.key} ({c.name}): draft; launch it with `relance marketing campaign launch {args.org} {c.key}`")
    return 0


async def _campaign_launch(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    client = await connect(settings)
    handle = await with_db(settings, lambda db: marketing.launch_campaign(
        client, db, settings.task_queue, args.org, args.campaign, args.by, args.at))
    if args.at is not None or args.no_wait:
        tz = await with_db(settings, lambda db: repository.zone(db, args.org))
        say(f"campaign {args.campaign} launched{f' for {calendar.written(args.at, tz)}' if args.at else ''} "
            f"({handle.id})")
        return 0
    ending = asyncio.ensure_future(handle.result())
    while not (await asyncio.wait({ending}, timeout=0.5))[0]:
        await _show_progress(marketing, client, args)
    result = ending.result()
    await _show_progress(marketing, client, args, done=True)
    say(f"campaign {args.campaign} {result.state}: {result.sent} sent, {result.skipped} skipped, {result.failed} "
        f"failed, {result.cancelled} cancelled of {result.total}")
    return 0


async def _show_progress(marketing, client, args, done: bool = False) -> None:
    """A query the worker answers late (a busy machine) skips one redraw of the bar, not the command."""
    from temporalio.service import RPCError

    try:
        progress = await marketing.campaign_progress(client, args.org, args.campaign)
    except RPCError:
        return
    _bar(progress, done)


def _bar(progress, done: bool = False) -> None:
    """`[#######.....] 412 of 1000`: rewritten in place on a terminal, a line per update otherwise."""
    width = 30
    filled = width * progress.done // progress.total if progress.total else (width if done else 0)
    line = f"[{'#' * filled}{'.' * (width - filled)}] {progress.done} of {progress.total}"
    end = "\n" if done or not sys.stdout.isatty() else ""
    print(f"\r{line}" if sys.stdout.isatty() else line, end=end, flush=True)


async def _campaign_show(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    report = await with_db(settings, lambda db: marketing.campaign_report(db, args.org, args.campaign))
    c = report.campaign
    counts = ", ".join(f"{n} {state}" for state, n in sorted(report.counts.items())) or "no recipient yet"
    say(f"campaign {c.key} ({c.name}): {c.state}" + (f", {c.cancelled_detail}" if c.cancelled_detail else "")
        + f"; {counts}")
    for row, ref in report.recipients:
        say(f"  {ref:14} {row.state:9} {row.recipient or ''}" + (f" ({row.reason})" if row.reason else ""))
    return 0


async def _campaign_cancel(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    say(await marketing.cancel_campaign(await connect(settings), args.org, args.campaign, args.by, args.reason))
    return 0


async def _campaign_retry(settings: Settings, args, with_db, say) -> int:
    from starter import marketing

    client = await connect(settings)
    handle = await with_db(settings, lambda db: marketing.retry_recipient(
        client, db, settings.task_queue, args.org, args.campaign, args.contact))
    result = await handle.result()
    say(f"contact {args.contact}: retried; campaign {args.campaign}: {result.sent} sent, {result.failed} failed "
        f"of {result.total}")
    return 0
