"""`relance scenario|template|preview|simulate|forecast`: the commands users run to trust a scenario
before switching dunning on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from relance.cli.common import Parsed, command, connect, group, runs

COMMANDS: list[click.Command] = []


def _horizon(text: str) -> int:
    """A forecast's horizon as the API takes it: a negative one would answer an empty table, not a refusal."""
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= 366:
        raise ValueError(f"{text!r} is not a number of days from 1 to 366")
    return days


scenario_group = group("scenario", help="author scenarios: init (wizard), show, validate, apply, reset, versions, "
                                        "default")
COMMANDS.append(scenario_group)


async def scenario(settings, args, with_db, say) -> int:
    import yaml

    from models import ScenarioPurpose
    from relance.email.mailer import SesMailer
    from relance.importing.importer import read_file
    from relance.scenario import authoring as scenarios

    async def work(db):
        if args.action == "init":
            done = await scenarios.init_scenario(db, SesMailer(settings), args.org, args.first_days,
                                                 args.second_days, args.sender, args.call_after)
            say(f"scenario {done.key} v{done.version} created and set as the default of {args.org}; "
                "simulate it before switching dunning on")
        elif args.action == "show":
            say(yaml.safe_dump(await scenarios.export_scenario(db, args.org, args.key), allow_unicode=True,
                               sort_keys=False).rstrip())
        elif args.action == "validate":
            problems = await scenarios.validate_scenario(db, args.org, read_file(Path(args.file)))
            say("\n".join(f"  - {p}" for p in problems) if problems else "scenario is valid")
            return 1 if problems else 0
        elif args.action == "apply":
            done = await scenarios.apply_scenario(db, args.org, read_file(Path(args.file)), args.default)
            say(f"scenario {done.key} is now at version {done.version}; running runs keep theirs")
        elif args.action == "reset":
            done = await scenarios.reset_scenario(db, args.org)
            say(f"scenario {done.key} reset to the default (version {done.version})")
        elif args.action == "default":
            done = await scenarios.make_default(db, args.org, args.key)
            say(f"scenario {done.key} v{done.version} is now the default of {args.org}; running runs keep theirs")
        elif args.action == "versions":
            for purpose in ScenarioPurpose:  # a marketing scenario's enrolments are its runs
                for v in await scenarios.versions(db, args.org, purpose=purpose):
                    say(f"  {v['key']:16} {purpose:9} v{v['version']:<3} {'default' if v['default'] else '       '}"
                        f"  {v['running']} running / {v['runs']} run(s)")
        return 0

    return await with_db(settings, work)


def _org() -> click.Argument:
    return click.Argument(["org"])


command(scenario_group, "init", scenario, [
    _org(),
    click.Option(["--first-days"], type=int, required=True, help="days from the due date to the 1st reminder"),
    click.Option(["--second-days"], type=int, required=True, help="days from the 1st to the 2nd reminder"),
    click.Option(["--sender"], required=True, help="the sending user's email (a verified SES identity)"),
    click.Option(["--call-after"], type=int, default=60, help="days from the 2nd reminder to the phone call")],
    help="the wizard: two reminders and a phone call", action="init")
command(scenario_group, "show", scenario, [_org(), click.Option(["--key"])], help="a scenario as YAML",
        action="show")
command(scenario_group, "validate", scenario, [_org(), click.Argument(["file"])],
        help="check a scenario file, writing nothing", action="validate")
command(scenario_group, "apply", scenario, [
    _org(), click.Argument(["file"]),
    click.Option(["--default"], is_flag=True, help="also make it the organisation's default")],
    help="save a scenario file as a new version", action="apply")
command(scenario_group, "reset", scenario, [_org()], help="reset the default scenario", action="reset")
command(scenario_group, "versions", scenario, [_org()], help="every scenario's versions and runs",
        action="versions")
command(scenario_group, "default", scenario, [_org(), click.Argument(["key"])],
        help="make a scenario's newest version the default", action="default")


@runs(COMMANDS, "template", help="save a custom template (checked first), list, show one, or preview one rendered "
                                 "for a record")
@click.argument("action", type=click.Choice(["save", "list", "show", "preview"]))
@click.argument("org")
@click.argument("file", required=False)
@click.option("--invoice", help="preview: render it for this invoice")
@click.option("--contract", help="preview: render it for this contract")
@click.option("--contact", help="preview: render it for this contact")
@click.option("--opportunity", help="preview: render it for this opportunity")
@click.option("--use", type=click.Choice(["dunning", "renewal", "marketing", "pipeline"]),
              help="check the merge fields of this use only (default: any use's)")
async def template(settings, args, with_db, say) -> int:
    from relance.importing.importer import read_file
    from starter.importing import save_template

    if args.file is None:
        if args.action != "list":
            say(f"template {args.action}: name the template's {'file' if args.action == 'save' else 'key'}")
            return 2
        return await list_templates(settings, args, with_db, say)
    if args.action in ("show", "preview"):
        return await show_template(settings, args, with_db, say)
    saved = await with_db(settings, lambda db: save_template(db, args.org, read_file(Path(args.file)), args.use))
    say(f"template {saved.key} saved")
    return 0


async def list_templates(settings, args, with_db, say) -> int:
    from relance.scenario import authoring

    for t in await with_db(settings, lambda db: authoring.list_templates(db, args.org)):
        say(f"  {t.key:24} {t.name}")
    return 0


async def show_template(settings, args, with_db, say) -> int:
    """`show`: the template as saved; `preview`: rendered for one record, as its email would read now."""
    from relance.scenario import authoring
    from starter.templates import preview_template

    if args.action == "show":
        t = await with_db(settings, lambda db: authoring.read_template(db, args.org, args.file))
        say(f"subject: {t.subject}\n{t.body}")
        return 0
    records = [(name, getattr(args, name)) for name in ("invoice", "contract", "contact", "opportunity")
               if getattr(args, name)]
    if len(records) != 1:
        say("template preview: give exactly one of --invoice, --contract, --contact, --opportunity")
        return 2
    [(about, ref)] = records
    shown = await with_db(settings, lambda db: preview_template(db, args.org, args.file, about, ref,
                                                                datetime.now(UTC)))
    say(f"to: {shown.recipient or '(no address)'}\nsubject: {shown.subject}\n{shown.body}")
    return 0


@runs(COMMANDS, "preview", help="each step of an invoice's scenario as it would go out")
@click.argument("org")
@click.argument("invoice")
async def preview(settings, args, with_db, say) -> int:
    from relance.dunning.preview import preview_invoice
    from relance.email.mailer import SesMailer

    steps = await with_db(settings, lambda db: preview_invoice(
        db, SesMailer(settings), args.org, args.invoice, datetime.now(UTC)))
    say_preview(steps, say)
    return 0


def say_preview(steps, say) -> None:
    """Each step of a preview (relance.scenario.preview): when, from whom, to whom, subject and body."""
    from relance import calendar
    from relance.scenario.plan import step_name

    for s in steps:
        say(f"{calendar.written(s.at)}  step {step_name(s.position, s.label)} ({s.kind})")
        if s.not_sent:
            say(f"    not sent: {s.not_sent}")
        elif s.kind == "email":
            say(f"    from {s.sender} to {s.recipient}\n    subject: {s.subject}\n"
                + "\n".join(f"    | {line}" for line in s.body.splitlines()))
        else:
            say(f"    {s.subject}")


@runs(COMMANDS, "simulate", help="run a scenario step by step for an internal user (emails really sent)")
@click.argument("action", type=click.Choice(["start", "next", "show", "stop"]))
@click.argument("org")
@click.option("--as", "user", required=True, help="the user's email, who receives every email")
@click.option("--scenario", help="scenario key (default: the organisation's)")
async def simulate(settings, args, with_db, say) -> int:
    from relance.scenario.plan import step_name
    from starter.simulation import simulation_handle, start_simulation
    from workflows.simulation import ScenarioSimulationWorkflow

    client = await connect(settings)

    async def work(db):
        if args.action == "start":
            handle = await start_simulation(client, db, settings.task_queue, args.org, args.user, args.scenario)
            say(f"simulation {handle.id} started: emails go to {args.user}; `relance simulate next` runs a step")
            return 0
        handle = await simulation_handle(client, db, args.org, args.user)
        if args.action == "next":
            r = await handle.execute_update(ScenarioSimulationWorkflow.execute_next)
            say(f"step {step_name(r.position, r.label)} ({r.kind}): {r.outcome}"
                + (f" — {r.detail}" if r.detail else ""))
        elif args.action == "stop":
            await handle.signal(ScenarioSimulationWorkflow.stop)
            say("simulation stopped")
        status = await handle.query(ScenarioSimulationWorkflow.status)
        if args.action == "show":
            say(f"simulation of {status.scenario_name}" + (" (stopped)" if status.stopped else ""))
            for r in status.reports:
                say(f"  step {step_name(r.position, r.label)}: {r.outcome}" + (f" — {r.detail}" if r.detail else ""))
        if status.next_position is not None and not status.stopped:
            say(f"  next: step {step_name(status.next_position, status.next_label)}")
        return 0

    return await with_db(settings, work)


SOURCE_NOTES = {"tonight": "  (enters tonight)", "held": "  (held: resumes when switched on)"}


@runs(COMMANDS, "forecast", help="what will be sent in the next N days")
@click.argument("org")
@click.option("--days", type=Parsed(_horizon, "days"), default="14", help="how many days ahead (1 to 366)")
@click.option("--json", is_flag=True)
@click.option("--if-on", is_flag=True, help="what would go if dunning were switched on now")
async def forecast_cmd(settings, args, with_db, say) -> int:
    import json

    from relance import calendar
    from starter.dunning import forecast

    client = await connect(settings)
    lines = await with_db(settings, lambda db: forecast(client, db, args.org, datetime.now(UTC),
                                                         args.days, args.if_on))
    if args.json:
        say(json.dumps([line.as_json() for line in lines], indent=2, ensure_ascii=False))
        return 0
    say(f"{'when':{calendar.WRITTEN_WIDTH}}  {'invoice':14} {'customer':10} {'step':28} recipient")
    for line in lines:
        say(f"{calendar.written(line.at)}  {line.invoice:14} {line.customer:10} {line.step:28} "
            f"{line.recipient or '-'}" + SOURCE_NOTES.get(line.source, ""))
    say(f"{len(lines)} step(s) in the next {args.days} day(s)")
    return 0

