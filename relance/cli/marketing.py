"""`relance marketing enrol|remove|show|preview|switch|campaign`: marketing from the command line.

Each prints what the host application's calls in starter/marketing.py answer (the HTTP API answers the same).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click

from relance.cli.common import Parsed, connect, connect_when_asked, exclusive, group, runs, who
from relance.cli.output import progress_bar

OUTCOMES = {
    "started": "enrolled: the run started",
    "already_running": "already running in this scenario: nothing done",
    "finished_no_reentry": "finished this scenario already, which takes nobody twice: nothing done",
    "refused_opted_out": "opted out of marketing: not enrolled",
    "refused_contact_deleted": "deleted: not enrolled",
    "refused_scenario_switched_off": "the scenario is switched off: not enrolled",
}


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r}: give the offset, e.g. 2026-12-01T09:00+01:00")
    return moment


marketing_group = group("marketing", help="marketing scenarios: enrol, remove, show a contact; campaigns")
campaign = group("campaign", help="email campaigns: create, launch, show, cancel", parent=marketing_group)
COMMANDS = [marketing_group]


def _describe(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome)


@runs(marketing_group, "enrol", help="enrol a contact, or every contact with a tag or of an account")
@click.argument("org")
@click.argument("scenario")
@click.argument("contact", required=False)
@click.option("--tag", help="every contact with this tag")
@click.option("--account", help="every contact of this account")
@click.option("--by", default=who)
async def _enrol(settings, args, with_db, say) -> int:
    from starter import marketing

    exclusive(args, "tag", "account")
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


@runs(marketing_group, "remove", help="take a contact out of a scenario now (recorded with who and why)")
@click.argument("org")
@click.argument("scenario")
@click.argument("contact")
@click.option("--reason", required=True)
@click.option("--by", default=who)
async def _remove(settings, args, with_db, say) -> int:
    from starter import marketing

    say(await marketing.remove(await connect(settings), args.org, args.scenario, args.contact, args.by, args.reason))
    return 0


@runs(marketing_group, "show", help="a contact's tags, consent and marketing enrolments")
@click.argument("org")
@click.argument("contact")
async def _show(settings, args, with_db, say) -> int:
    from relance import calendar
    from relance.scenario.plan import step_name
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


@runs(marketing_group, "switch", help="switch a marketing scenario on or off (off: its runs exit now)")
@click.argument("org")
@click.argument("scenario")
@click.argument("state", type=click.Choice(["on", "off"]))
async def _switch(settings, args, with_db, say) -> int:
    from starter import marketing

    client = await connect(settings)
    woken = await with_db(settings, lambda db: marketing.set_scenario_activation(
        client, db, args.org, args.scenario, args.state == "on"))
    say(f"marketing scenario {args.scenario} switched {args.state}"
        + (f": {woken} running enrolment(s) exit now" if args.state == "off" else ""))
    return 0


@runs(marketing_group, "preview", help="what a contact would receive if enrolled now (nothing is sent)")
@click.argument("org")
@click.argument("scenario")
@click.argument("contact")
async def _preview(settings, args, with_db, say) -> int:
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


@runs(campaign, "create", help="create or change a draft")
@click.argument("org")
@click.argument("campaign")
@click.option("--name", required=True)
@click.option("--template", required=True)
@click.option("--sender", help="a user's address (default: the organisation's sender)")
@click.option("--tag")
@click.option("--account")
@click.option("--contact")
@click.option("--by", default=who)
async def _campaign_create(settings, args, with_db, say) -> int:
    from starter import marketing

    exclusive(args, "tag", "account", "contact", required=True)
    c = await with_db(settings, lambda db: marketing.create_campaign(
        db, args.org, args.campaign, args.name, args.template, args.by, tag=args.tag, account_ref=args.account,
        contact_ref=args.contact, sender=args.sender))
    say(f"campaign {c.key} ({c.name}): draft; launch it with `relance marketing campaign launch {args.org} {c.key}`")
    return 0


@runs(campaign, "launch", help="launch a draft now (with a progress bar) or --at a time")
@click.argument("org")
@click.argument("campaign")
@click.option("--at", type=Parsed(_moment, "moment"), help="ISO date-time with offset (default: now)")
@click.option("--no-wait", is_flag=True, help="do not follow the progress")
@click.option("--by", default=who)
async def _campaign_launch(settings, args, with_db, say) -> int:
    from relance import calendar, repository
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
    with progress_bar(_bar) as update:
        while not (await asyncio.wait({ending}, timeout=0.5))[0]:
            await _show_progress(marketing, client, args, update)
        result = ending.result()
        await _show_progress(marketing, client, args, update)
    say(f"campaign {args.campaign} {result.state}: {result.sent} sent, {result.skipped} skipped, {result.failed} "
        f"failed, {result.cancelled} cancelled of {result.total}")
    return 0


async def _show_progress(marketing, client, args, update) -> None:
    """A query the worker answers late (a busy machine) skips one redraw of the bar, not the command."""
    from temporalio.service import RPCError

    try:
        progress = await marketing.campaign_progress(client, args.org, args.campaign)
    except RPCError:
        return
    update(progress.done, progress.total)


def _bar(done: int, total: int) -> str:
    """`[#######.....] 412 of 1000`: a line per update where no terminal shows a Rich bar."""
    width = 30
    filled = width * done // total if total else width  # nobody to send to: nothing left
    return f"[{'#' * filled}{'.' * (width - filled)}] {done} of {total}"


@runs(campaign, "show", help="a campaign's state, counts and each recipient's record")
@click.argument("org")
@click.argument("campaign")
async def _campaign_show(settings, args, with_db, say) -> int:
    from starter import marketing

    report = await with_db(settings, lambda db: marketing.campaign_report(db, args.org, args.campaign))
    c = report.campaign
    counts = ", ".join(f"{n} {state}" for state, n in sorted(report.counts.items())) or "no recipient yet"
    say(f"campaign {c.key} ({c.name}): {c.state}" + (f", {c.cancelled_detail}" if c.cancelled_detail else "")
        + f"; {counts}")
    for row, ref in report.recipients:
        say(f"  {ref:14} {row.state:9} {row.recipient or ''}" + (f" ({row.reason})" if row.reason else ""))
    return 0


@runs(campaign, "cancel", help="stop a campaign: what is not sent yet is not sent")
@click.argument("org")
@click.argument("campaign")
@click.option("--reason", required=True)
@click.option("--by", default=who)
async def _campaign_cancel(settings, args, with_db, say) -> int:
    from starter import marketing

    say(await marketing.cancel_campaign(await connect(settings), args.org, args.campaign, args.by, args.reason))
    return 0


@runs(campaign, "retry", help="send a failed recipient's email again, alone")
@click.argument("org")
@click.argument("campaign")
@click.argument("contact")
async def _campaign_retry(settings, args, with_db, say) -> int:
    from starter import marketing

    client = await connect(settings)
    handle = await with_db(settings, lambda db: marketing.retry_recipient(
        client, db, settings.task_queue, args.org, args.campaign, args.contact))
    result = await handle.result()
    say(f"contact {args.contact}: retried; campaign {args.campaign}: {result.sent} sent, {result.failed} failed "
        f"of {result.total}")
    return 0
