"""`relance apply|send-now|settings|tasks`: the setup buttons of the host's screens from the command line,
through the same starter and domain functions as the HTTP API (relance.api.runs, relance.api.settings)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from relance.cli.common import Parsed, command, connect, group, runs, who

COMMANDS: list[click.Command] = []


def _window(text: str) -> list[str]:
    """"08:00-18:00" (the times are checked with the setting)."""
    if text.count("-") != 1:
        raise ValueError(f"a window is HH:MM-HH:MM, got {text!r}")
    return text.split("-")


def _minimum(text: str) -> tuple[str, str | None]:
    """"EUR=5.00", or "EUR=none" to remove the currency's minimum (the amount is checked with the setting)."""
    currency, _, amount = text.partition("=")
    if not currency or not amount:
        raise ValueError(f"a minimum is CURRENCY=AMOUNT (or CURRENCY=none), got {text!r}")
    return currency, None if amount.lower() == "none" else amount


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise ValueError(f"on or off, got {text!r}")
    return text == "on"


ON_OFF = Parsed(_on_off, "on|off")


def _invoice_request(body):
    body = click.option("--by", default=who, help="who asks (the run's timeline records it)")(body)
    return click.argument("org")(click.argument("invoice")(body))


@runs(COMMANDS, "apply", help="apply the default scenario to one invoice now, whatever its due date")
@_invoice_request
async def apply_now(settings, args, with_db, say) -> int:
    from starter.dunning import apply_scenario_now

    client = await connect(settings)
    handle = await with_db(settings, lambda db: apply_scenario_now(client, db, settings.task_queue, args.org,
                                                                   args.invoice, args.by))
    if handle is None:
        say(f"invoice {args.invoice} has a dunning run already; a run is never started twice")
        return 1
    say(f"scenario applied to invoice {args.invoice} ({handle.id}), asked by {args.by}")
    return 0


@runs(COMMANDS, "send-now", help="send the step an invoice's run waits for now, cutting its pause short")
@_invoice_request
async def send_now(settings, args, with_db, say) -> int:
    from relance import calendar, repository
    from relance.scenario.plan import step_name
    from starter.dunning import send_next_now

    status = await send_next_now(await connect(settings), args.org, args.invoice, args.by)
    tz = await with_db(settings, lambda db: repository.zone(db, args.org))
    now_at = f" step {step_name(status.step_position, status.step_label)}" if status.step_position is not None else ""
    say(f"invoice {args.invoice}: the waiting step was asked to go now by {args.by}; the run is {status.state}"
        + now_at + (f", next at {calendar.written(status.next_at, tz)}" if status.next_at else ""))
    return 0


settings_group = group("settings", help="show or change an organisation's dunning or renewal settings (only the "
                                        "options given change)")
COMMANDS.append(settings_group)


async def settings_cmd(settings, args, with_db, say) -> int:
    given = {name: value for name, value in vars(args).items() if value is not None and name not in (
        "command", "settings_of", "org", "debug")}
    if "minimum_amounts" in given:
        given["minimum_amounts"] = dict(given["minimum_amounts"])
    if args.settings_of == "dunning":
        from relance.dunning.settings import DunningChange, read_settings
        from starter.dunning import change_dunning_settings

        if not given:
            shown = await with_db(settings, lambda db: read_settings(db, args.org))
        else:
            from relance.email.mailer import SesMailer

            change = _dunning_change(DunningChange, given)
            client = await connect(settings)
            shown, resumed = await with_db(settings, lambda db: change_dunning_settings(
                client, db, SesMailer(settings), args.org, change))
            if resumed:
                say(f"{resumed} held run(s) resumed")
    else:
        from relance.email.mailer import SesMailer
        from relance.renewal.settings import RenewalChange, change_settings, read_settings

        shown = await with_db(settings, lambda db: change_settings(db, SesMailer(settings), args.org,
                                                                   RenewalChange(**given))
                              if given else read_settings(db, args.org))
    for name, value in shown.model_dump(mode="json").items():
        say(f"  {name:22} {value}")
    return 0


command(settings_group, "dunning", settings_cmd, [
    click.Argument(["org"]),
    click.Option(["--enabled"], type=ON_OFF, help="on or off (held runs resume when switched on)"),
    click.Option(["--apply-to-new", "apply_to_new_invoices"], type=ON_OFF),
    click.Option(["--window", "send_window"], type=Parsed(_window, "window"), help="HH:MM-HH:MM"),
    click.Option(["--days", "send_days"], help="e.g. mon-fri"),
    click.Option(["--holidays", "holiday_country"], help="ISO country, or none"),
    click.Option(["--subdivision", "holiday_subdivision"]),
    click.Option(["--sender-mode"], type=click.Choice(["user", "invoice_creator"])),
    click.Option(["--sender"], help="a user's email, verified in SES"),
    click.Option(["--minimum", "minimum_amounts"], type=Parsed(_minimum, "minimum"), multiple=True,
                 help="CURRENCY=AMOUNT: no step goes for less due (repeatable; CURRENCY=none removes it)")],
    help="show or change the dunning settings", settings_of="dunning")
command(settings_group, "renewal", settings_cmd, [
    click.Argument(["org"]),
    click.Option(["--enabled"], type=ON_OFF),
    click.Option(["--days", "alert_days"], type=int, help="days before the end of a term"),
    click.Option(["--template"]),
    click.Option(["--sender"], help="a user's email, verified in SES")],
    help="show or change the renewal settings", settings_of="renewal")


def _dunning_change(model, given: dict):
    """The change, or one sentence naming each field refused (`dunning › minimum_amounts.EUR: ...`)."""
    from pydantic import ValidationError

    from relance import limits

    try:
        return model(**given)
    except ValidationError as exc:
        raise limits.Refused("; ".join(f"dunning › {'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
                                       for e in exc.errors())) from None


tasks_group = group("tasks", help="list an organisation's tasks, or close one (with who; a task.closed webhook)")
COMMANDS.append(tasks_group)


@runs(tasks_group, "list", help="an organisation's tasks")
@click.argument("org")
@click.option("--about-kind", help="invoice, contract, contact, opportunity...")
@click.option("--about-ref")
@click.option("--assignee", help="the assignee's email")
@click.option("--state", type=click.Choice(["open", "closed"]))
async def list_tasks(settings, args, with_db, say) -> int:
    from models import About
    from relance import tasks

    about = About(args.about_kind, args.about_ref or "") if args.about_kind else None
    closed = None if args.state is None else args.state == "closed"
    found = await with_db(settings, lambda db: tasks.list_tasks(db, args.org, about=about, assignee=args.assignee,
                                                                closed=closed))
    for t in found:
        state = f"closed by {t.closed_by}" if t.closed_at else "open"
        say(f"  {t.id:>6}  {t.due_on}  {t.about_kind} {t.about_ref:14} {t.assignee or '-':28} {t.title}  ({state})")
    say(f"{len(found)} task(s)")
    return 0


@runs(tasks_group, "close", help="close a task, with who (a task.closed webhook)")
@click.argument("org")
@click.argument("task_id", type=int)
@click.option("--by", default=who)
async def close_task(settings, args, with_db, say) -> int:
    from relance import calendar, repository
    from starter.tasks import close_task

    client = await connect(settings)
    view = await with_db(settings, lambda db: close_task(client, db, settings.task_queue, args.org, args.task_id,
                                                         args.by, datetime.now(UTC)))
    tz = await with_db(settings, lambda db: repository.zone(db, args.org))
    say(f"task {view.id} closed by {view.closed_by} at {calendar.written(view.closed_at, tz)}")
    return 0
