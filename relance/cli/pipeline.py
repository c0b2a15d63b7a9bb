"""`relance pipeline event|dry-run|timeline|retry`: the sales pipeline from the command line.

Each prints what the host application's calls in starter/pipeline.py answer (the HTTP API answers the same).
"""

from __future__ import annotations

import argparse
import uuid
from datetime import datetime

from relance import calendar, repository
from relance.config import Settings
from relance.pipeline.rules import trigger_text
from relance.temporal.client import connect

# The event's fields as flags; the kind follows from them (a quote's, an action's, else the opportunity's).
FLAGS = ("stage", "result", "assigned_to", "amount", "close_on", "quote", "quote_state", "action", "action_type",
         "action_state", "title", "due_on")


def add_parser(sub) -> None:
    pipeline = sub.add_parser("pipeline", help="sales pipeline: report an event, dry run, an opportunity, its "
                                                "timeline, retry, the rules, switch one")
    commands = pipeline.add_subparsers(dest="pipeline_command", required=True)
    event = commands.add_parser("event", help="report what happened to an opportunity; its automations run")
    dry = commands.add_parser("dry-run", help="what an event would do now: rules fired and automations, no effect")
    for command in (event, dry):
        command.add_argument("org")
        command.add_argument("opportunity")
        for name in FLAGS:
            command.add_argument(f"--{name.replace('_', '-')}", dest=name)
    event.add_argument("--id", dest="event_id", help="the event's id (default: a new one); a repeated id is ignored")
    event.add_argument("--no-wait", action="store_true", help="do not wait for the automations")
    show = commands.add_parser("show", help="an opportunity as relance knows it, its actions and feed")
    timeline = commands.add_parser("timeline", help="an opportunity's events, rules fired and automation outcomes")
    retry = commands.add_parser("retry", help="run a failed automation again (its key, from the timeline)")
    for command in (show, timeline, retry):
        command.add_argument("org")
        command.add_argument("opportunity")
    retry.add_argument("key")
    retry.add_argument("--by", default="cli")
    commands.add_parser("rules", help="every rule as it is now: trigger, automations in order, on or off") \
        .add_argument("org")
    switch = commands.add_parser("switch", help="switch a rule on or off (a new version of it)")
    for name in ("org", "process", "rule"):
        switch.add_argument(name)
    switch.add_argument("state", choices=("on", "off"))


def _body(args: argparse.Namespace) -> dict:
    fields = {name: getattr(args, name) for name in FLAGS if getattr(args, name) is not None}
    kind = "quote" if "quote" in fields or "quote_state" in fields else \
        "action" if any(name.startswith("action") for name in fields) else "opportunity"
    return {"event_id": getattr(args, "event_id", None) or f"cli-{uuid.uuid4().hex[:12]}",
            "opportunity": args.opportunity, "kind": kind, **fields}


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    from starter import pipeline

    try:
        return await {"event": _event, "dry-run": _dry_run, "show": _show, "timeline": _timeline, "retry": _retry,
                      "rules": _rules, "switch": _switch}[args.pipeline_command](settings, args, with_db, say)
    except pipeline.EventRefused as exc:
        say(f"refused, nothing written: {'; '.join(exc.problems)}")
        return 2


async def _event(settings: Settings, args, with_db, say) -> int:
    from starter import pipeline

    client = await connect(settings)
    body = _body(args)
    ack = await with_db(settings, lambda db: pipeline.report_event(client, db, settings.task_queue, args.org, body,
                                                                   wait=not args.no_wait))
    say(f"event {ack.event_id}: {ack.status}")
    for line in ack.outcomes:
        say(f"  {line}")
    if ack.status == "handled" and not ack.outcomes:
        say("  no rule fired")
    return 0


async def _dry_run(settings: Settings, args, with_db, say) -> int:
    from starter import pipeline

    result = await with_db(settings, lambda db: pipeline.dry_run(db, args.org, _body(args)))
    say(f"transitions: {', '.join(result.transitions) or 'none (nothing would change)'}")
    for c in result.conditions:
        verdict = {True: "holds", False: "does not hold", None: "cannot be evaluated: does not hold"}[c.held]
        say(f"  {c.rule} v{c.version}: if {c.condition} — {verdict}: {c.why}")
    for line in result.lines:
        say(f"  {line.rule} v{line.version} #{line.position}: would {line.does}")
    if result.transitions and not result.lines:
        say("  no rule would fire")
    return 0


async def _timeline(settings: Settings, args, with_db, say) -> int:
    from starter import pipeline

    async def read(db):
        return await pipeline.timeline(db, args.org, args.opportunity), await repository.zone(db, args.org)

    lines, tz = await with_db(settings, read)
    for line in lines:
        at = calendar.written_or(line.at, tz, " " * calendar.WRITTEN_WIDTH)
        if line.kind == "event":
            say(f"{at}  {line.text}")
        else:
            say(f"{at}    {line.state:8} {line.text}" + (f"  [key {line.key}]" if line.state == "failed" else ""))
    if not lines:
        say("no event yet")
    return 0


async def _retry(settings: Settings, args, with_db, say) -> int:
    from starter import pipeline

    say(await pipeline.retry_automation(await connect(settings), args.org, args.opportunity, args.key, args.by))
    return 0


async def _show(settings: Settings, args, with_db, say) -> int:
    from starter import pipeline

    view = await with_db(settings, lambda db: pipeline.opportunity(db, args.org, args.opportunity))
    f = view.file
    say(f"{f.opportunity.ref} {f.opportunity.name}: process {f.process.key}, stage {f.opportunity.stage_key}, "
        f"{f.opportunity.result}" + (f", {f.opportunity.amount}" if f.opportunity.amount is not None else ""))
    say(f"  salesperson {f.assigned.email if f.assigned else '-'}, account {f.account.ref if f.account else '-'}, "
        f"contact {f.contact.ref if f.contact else '-'}, tags {', '.join(f.opportunity.tags) or '-'}")
    for a in view.actions:
        say(f"  action {a.ref} [{a.state}] {a.type_key}: {a.title} — {view.assignees.get(a.assignee_user_id, '-')}"
            + (f", due {a.due_on}" if a.due_on else ""))
    for note in view.feed:
        say(f"  feed {calendar.written(note.created_at, f.org.timezone)}: {note.text}")
    if f.opportunity.close_on or f.opportunity.custom:
        say(f"  close date {f.opportunity.close_on or '-'}, custom fields "
            f"{', '.join(f'{k}={v}' for k, v in f.opportunity.custom.items()) or '-'}")
    state = await pipeline.pending(await connect(settings), args.org, args.opportunity)
    for line in state.moments if state else ():
        due, label = line.split(" ", 1)
        say(f"  time trigger at {calendar.written(datetime.fromisoformat(due), f.org.timezone)}: {label}")
    for line in state.waits if state else ():
        due, what = line.split(" ", 1)
        say(f"  wait of {what} until {calendar.written(datetime.fromisoformat(due), f.org.timezone)}")
    return 0


async def _rules(settings: Settings, args, with_db, say) -> int:
    from starter import pipeline

    lines = await with_db(settings, lambda db: pipeline.current_rules(db, args.org))
    for line in lines:
        _say_rule(say, line)
    if not lines:
        say("no rule")
    return 0


async def _switch(settings: Settings, args, with_db, say) -> int:
    from starter import pipeline

    _say_rule(say, await with_db(settings, lambda db: pipeline.switch_rule(db, args.org, args.process, args.rule,
                                                                           args.state == "on")))
    return 0


def _say_rule(say, line) -> None:
    r = line.rule
    say(f"{line.process}/{r.key} v{r.version} {'on' if r.enabled else 'off'}: when {trigger_text(r.trigger)}"
        + (f", if {line.condition}" if line.condition else ""))
    for n, does in enumerate(line.does, 1):
        say(f"  #{n} {does}")
