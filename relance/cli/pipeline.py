"""`relance pipeline event|dry-run|timeline|retry`: the sales pipeline from the command line.

Each prints what the host application's calls in starter/pipeline.py answer (the HTTP API answers the same).
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

import click

from relance.cli.common import connect, group, runs

# The event's fields as flags; the kind follows from them (a quote's, an action's, else the opportunity's).
FLAGS = ("stage", "result", "assigned_to", "amount", "close_on", "quote", "quote_state", "action", "action_type",
         "action_state", "title", "due_on")


pipeline = group("pipeline", help="sales pipeline: report an event, dry run, an opportunity, its timeline, retry, "
                                  "the rules, switch one")
COMMANDS = [pipeline]


def _opportunity(body):
    return click.argument("org")(click.argument("opportunity")(body))


def _event_flags(body):
    for name in reversed(FLAGS):
        body = click.option(f"--{name.replace('_', '-')}", name)(body)
    return _opportunity(body)


def _refusals(body):
    """An event the pipeline refuses is said with its problems, exit 2, nothing written."""
    @functools.wraps(body)
    async def said(settings, args, with_db, say) -> int:
        from starter import pipeline

        try:
            return await body(settings, args, with_db, say)
        except pipeline.EventRefused as exc:
            say(f"refused, nothing written: {'; '.join(exc.problems)}")
            return 2
    return said


def _body(args) -> dict:
    fields = {name: getattr(args, name) for name in FLAGS if getattr(args, name) is not None}
    kind = "quote" if "quote" in fields or "quote_state" in fields else \
        "action" if any(name.startswith("action") for name in fields) else "opportunity"
    return {"event_id": getattr(args, "event_id", None) or f"cli-{uuid.uuid4().hex[:12]}",
            "opportunity": args.opportunity, "kind": kind, **fields}


@runs(pipeline, "event", help="report what happened to an opportunity; its automations run")
@_event_flags
@click.option("--id", "event_id", help="the event's id (default: a new one); a repeated id is ignored")
@click.option("--no-wait", is_flag=True, help="do not wait for the automations")
@_refusals
async def _event(settings, args, with_db, say) -> int:
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


@runs(pipeline, "dry-run", help="what an event would do now: rules fired and automations, no effect")
@_event_flags
@_refusals
async def _dry_run(settings, args, with_db, say) -> int:
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


@runs(pipeline, "timeline", help="an opportunity's events, rules fired and automation outcomes")
@_opportunity
async def _timeline(settings, args, with_db, say) -> int:
    from relance import calendar, repository
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


@runs(pipeline, "retry", help="run a failed automation again (its key, from the timeline)")
@_opportunity
@click.argument("key")
@click.option("--by", default="cli")
async def _retry(settings, args, with_db, say) -> int:
    from starter import pipeline

    say(await pipeline.retry_automation(await connect(settings), args.org, args.opportunity, args.key, args.by))
    return 0


@runs(pipeline, "show", help="an opportunity as relance knows it, its actions and feed")
@_opportunity
async def _show(settings, args, with_db, say) -> int:
    from relance import calendar
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


@runs(pipeline, "rules", help="every rule as it is now: trigger, automations in order, on or off")
@click.argument("org")
async def _rules(settings, args, with_db, say) -> int:
    from starter import pipeline

    lines = await with_db(settings, lambda db: pipeline.current_rules(db, args.org))
    for line in lines:
        _say_rule(say, line)
    if not lines:
        say("no rule")
    return 0


@runs(pipeline, "switch", help="switch a rule on or off (a new version of it)")
@click.argument("org")
@click.argument("process")
@click.argument("rule")
@click.argument("state", type=click.Choice(("on", "off")))
async def _switch(settings, args, with_db, say) -> int:
    from starter import pipeline

    _say_rule(say, await with_db(settings, lambda db: pipeline.switch_rule(db, args.org, args.process, args.rule,
                                                                           args.state == "on")))
    return 0


def _say_rule(say, line) -> None:
    from relance.pipeline.rules import trigger_text

    r = line.rule
    say(f"{line.process}/{r.key} v{r.version} {'on' if r.enabled else 'off'}: when {trigger_text(r.trigger)}"
        + (f", if {line.condition}" if line.condition else ""))
    for n, does in enumerate(line.does, 1):
        say(f"  #{n} {does}")
