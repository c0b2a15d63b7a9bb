"""`relance agency summary|tab|history|closed|draft|send|send-one|retry`: the booking agency's outbox from
the command line (what starter/agency.py answers; the HTTP API and the outbox pages answer the same)."""

from __future__ import annotations

from pathlib import Path

import click

from relance.cli.common import DATE, connect, group, runs, who

KINDS = ("balance", "arrival", "option", "after_departure")

agency = group("agency", help="a booking agency's outbox: summary, tabs, drafting, sending")
COMMANDS = [agency]


def _outbox(body):
    return click.argument("org")(click.argument("agency")(body))


def _line(line) -> str:
    d, b = line.draft, line.booking
    extra = f" ({d.reason})" if d.reason else ""
    flag = f" [flagged: {d.flagged}]" if d.flagged else ""
    return (f"#{d.id} v{d.version} {d.kind} {b.reference} {b.guest_name} <{d.recipient}> due {d.due_on} "
            f"until {d.sendable_until}: {d.status}{extra}{flag} — {d.subject}")


@runs(agency, "summary", help="drafts waiting per tab, and those expiring within 2 days")
@_outbox
async def _summary(settings, args, with_db, say) -> int:
    from starter import agency

    s = await with_db(settings, lambda db: agency.day_summary(db, args.org, args.agency))
    say(f"{s.agency.name} ({s.agency.slug}), {s.today}: {s.total_waiting} waiting")
    for kind, n in s.waiting.items():
        say(f"  {kind}: {n}")
    say(f"  expiring within 2 days: {s.expiring_soon}")
    return 0


@runs(agency, "tab", help="the open drafts of one tab")
@_outbox
@click.argument("kind", type=click.Choice(KINDS))
async def _tab(settings, args, with_db, say) -> int:
    from starter import agency

    lines = await with_db(settings, lambda db: agency.tab_drafts(db, args.org, args.agency, args.kind))
    for line in lines:
        say(_line(line))
    say(f"{len(lines)} draft(s) in the {args.kind} tab")
    return 0


@runs(agency, "history", help="a booking's drafts: sent, withdrawn, expired, open")
@_outbox
@click.argument("booking")
async def _history(settings, args, with_db, say) -> int:
    from starter import agency

    h = await with_db(settings, lambda db: agency.booking_history(db, args.org, args.agency, args.booking))
    window = await with_db(settings, lambda db: agency.send_window(db, args.org, args.agency))  # for its zone
    b = h.booking
    say(f"booking {b.reference}: {b.status}, {b.arrival} → {b.departure}, {h.property.name}, paid {h.paid} "
        f"of {b.balance_amount}")
    for d in h.drafts:
        say(f"  #{d.id} {d.kind} due {d.due_on}: {d.status}" + (f" ({d.reason})" if d.reason else "")
            + (f" by {d.sent_by} at {window.local(d.sent_at)}" if d.sent_at else ""))
    return 0


@runs(agency, "closed", help="withdrawn and expired drafts, with their reasons")
@_outbox
async def _closed(settings, args, with_db, say) -> int:
    from starter import agency

    lines = await with_db(settings, lambda db: agency.closed_drafts(db, args.org, args.agency))
    for line in lines:
        say(_line(line))
    if not lines:
        say(f"no withdrawn or expired draft in the outbox of {args.agency}")
    return 0


@runs(agency, "draft", help="run the agency's nightly drafting now")
@_outbox
@click.option("--day", type=DATE, help="YYYY-MM-DD (default: today in its zone)")
async def _draft(settings, args, with_db, say) -> int:
    from starter import agency

    result = await agency.draft_day(await connect(settings), settings.task_queue, args.org, args.agency, args.day)
    kinds = f" ({', '.join(f'{n} {k}' for k, n in result.per_kind.items())})" if result.per_kind else ""
    say(f"{result.day}: {result.drafted} drafted{kinds}, {result.expired} expired")
    for problem in result.problems:
        say(f"  not drafted: {problem}")
    return 0


@runs(agency, "send", help="send all the drafts of one tab (as listed now)")
@_outbox
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--yes", is_flag=True, help="send without asking")
@click.option("--by", default=who)
async def _send(settings, args, with_db, say) -> int:
    from starter import agency

    lines = await with_db(settings, lambda db: agency.tab_drafts(db, args.org, args.agency, args.kind))
    ids = [line.draft.id for line in lines if line.draft.status != "sending"]
    if not ids:
        say(f"no draft to send in the {args.kind} tab")
        return 0
    if not args.yes and input(f"send {len(ids)} draft(s) of the {args.kind} tab? [y/N] ").strip().lower() != "y":
        say("nothing sent")
        return 1
    client = await connect(settings)
    started = await with_db(settings, lambda db: agency.send_tab(client, db, settings.task_queue, args.org,
                                                                 args.agency, args.kind, ids, args.by))
    return await _report(settings, with_db, say, args, started)


@runs(agency, "send-one", help="send one draft, optionally edited")
@_outbox
@click.argument("draft_id", type=int)
@click.option("--subject")
@click.option("--body-file", type=click.Path(path_type=Path))
@click.option("--by", default=who)
async def _send_one(settings, args, with_db, say) -> int:
    from starter import agency

    body = args.body_file.read_text() if args.body_file else None
    client = await connect(settings)

    async def send(db):
        line = await agency.draft_line(db, args.org, args.agency, args.draft_id)
        return await agency.send_draft(client, db, settings.task_queue, args.org, args.agency, args.draft_id,
                                       line.draft.version, args.by, args.subject, body, wait=False)

    return await _report(settings, with_db, say, args, await with_db(settings, send))


@runs(agency, "retry", help="send again the failed drafts of a send-all")
@_outbox
@click.argument("batch")
@click.option("--by", default=who)
async def _retry(settings, args, with_db, say) -> int:
    from starter import agency

    client = await connect(settings)
    started = await with_db(settings, lambda db: agency.retry_failed(client, db, settings.task_queue, args.org,
                                                                     args.agency, args.batch, args.by))
    return await _report(settings, with_db, say, args, started)


async def _report(settings, with_db, say, args, started) -> int:
    from starter import agency

    say(f"sending {started.count} draft(s): {started.batch_id}")
    if started.goes_at is not None:
        window = await with_db(settings, lambda db: agency.send_window(db, args.org, args.agency))
        say(f"the agency's send window is closed: they go from {window.local(started.goes_at)} "
            f"(the run waits in Temporal: {started.workflow_id})")
        return 0
    progress = await started.handle.result()
    say(f"{progress.sent} sent, {progress.withdrawn} withdrawn, {progress.failed} failed, {progress.skipped} skipped "
        f"of {progress.total}")
    if progress.failed:
        report = await with_db(settings, lambda db: agency.batch_report(db, args.org, args.agency, started.batch_id))
        for d in report.drafts:
            if d.status == "failed":
                say(f"  #{d.id} failed: {d.reason}")
        say(f"retry them with: relance agency retry {args.org} {args.agency} {started.batch_id}")
    return 1 if progress.failed else 0


@runs(agency, "booking", help="report a booking created or changed (YAML or JSON file, the import file's booking): "
                            "pointless drafts are withdrawn")
@_outbox
@click.argument("file", type=click.Path(path_type=Path))
async def _booking(settings, args, with_db, say) -> int:
    from relance.importing.importer import read_file
    from starter import agency

    client = await connect(settings)
    report = await with_db(settings, lambda db: agency.report_booking(
        client, db, settings.task_queue, args.org, args.agency, read_file(args.file)))
    say(f"booking {report.booking.reference}: {report.outcome or 'unchanged'}")
    for draft_id, reason in report.withdrawn:
        say(f"  draft #{draft_id} withdrawn: {reason}")
    for draft_id in report.flagged:
        say(f"  draft #{draft_id} was edited: kept, flagged (its dates moved)")
    return 0


async def draft_demo(settings, client, raw: dict, say) -> None:
    """`relance up`: the demo agencies' outboxes are drafted at once, not at the first night."""
    from starter import agency

    for org in raw["organisations"]:
        for a in org.get("agencies", []):
            result = await agency.draft_day(client, settings.task_queue, org["slug"], a["slug"])
            say(f"agency {org['slug']}/{a['slug']}: {result.drafted} draft(s) in its outbox "
                f"(`relance agency summary {org['slug']} {a['slug']}`)")
