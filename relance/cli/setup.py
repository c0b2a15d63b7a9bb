"""`relance apply|send-now|settings|tasks`: the setup buttons of the host's screens from the command line,
through the same starter and domain functions as the HTTP API (relance.api.runs, relance.api.settings)."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime

from models import About
from relance.config import Settings
from relance.temporal.client import connect


def _window(text: str) -> list[str]:
    """"08:00-18:00" (the times are checked with the setting)."""
    if text.count("-") != 1:
        raise argparse.ArgumentTypeError(f"a window is HH:MM-HH:MM, got {text!r}")
    return text.split("-")


def _minimum(text: str) -> tuple[str, str | None]:
    """"EUR=5.00", or "EUR=none" to remove the currency's minimum (the amount is checked with the setting)."""
    currency, _, amount = text.partition("=")
    if not currency or not amount:
        raise argparse.ArgumentTypeError(f"a minimum is CURRENCY=AMOUNT (or CURRENCY=none), got {text!r}")
    return currency, None if amount.lower() == "none" else amount


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"on or off, got {text!r}")
    return text == "on"


def add_parser(sub) -> None:
    who = os.environ.get("USER", "cli")
    for name, text in (("apply", "apply the default scenario to one invoice now, whatever its due date"),
                       ("send-now", "send the step an invoice's run waits for now, cutting its pause short")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("org")
        cmd.add_argument("invoice")
        cmd.add_argument("--by", default=who, help="who asks (the run's timeline records it)")
    st = sub.add_parser("settings", help="show or change an organisation's dunning or renewal settings "
                                         "(only the options given change)")
    which = st.add_subparsers(dest="settings_of", required=True)
    dn = which.add_parser("dunning")
    dn.add_argument("org")
    dn.add_argument("--enabled", type=_on_off, help="on or off (held runs resume when switched on)")
    dn.add_argument("--apply-to-new", dest="apply_to_new_invoices", type=_on_off)
    dn.add_argument("--window", dest="send_window", type=_window, help="HH:MM-HH:MM")
    dn.add_argument("--days", dest="send_days", help="e.g. mon-fri")
    dn.add_argument("--holidays", dest="holiday_country", help="ISO country, or none")
    dn.add_argument("--subdivision", dest="holiday_subdivision")
    dn.add_argument("--sender-mode", choices=["user", "invoice_creator"])
    dn.add_argument("--sender", help="a user's email, verified in SES")
    dn.add_argument("--minimum", dest="minimum_amounts", type=_minimum, action="append",
                    help="CURRENCY=AMOUNT: no step goes for less due (repeatable; CURRENCY=none removes it)")
    rn = which.add_parser("renewal")
    rn.add_argument("org")
    rn.add_argument("--enabled", type=_on_off)
    rn.add_argument("--days", dest="alert_days", type=int, help="days before the end of a term")
    rn.add_argument("--template")
    rn.add_argument("--sender", help="a user's email, verified in SES")
    tk = sub.add_parser("tasks", help="list an organisation's tasks, or close one (with who; a task.closed webhook)")
    tk_sub = tk.add_subparsers(dest="tasks_action", required=True)
    ls = tk_sub.add_parser("list")
    ls.add_argument("org")
    ls.add_argument("--about-kind", help="invoice, contract, contact, opportunity...")
    ls.add_argument("--about-ref")
    ls.add_argument("--assignee", help="the assignee's email")
    ls.add_argument("--state", choices=["open", "closed"])
    cl = tk_sub.add_parser("close")
    cl.add_argument("org")
    cl.add_argument("task_id", type=int)
    cl.add_argument("--by", default=who)


async def apply_now(settings: Settings, args, with_db, say) -> int:
    from starter.dunning import apply_scenario_now

    client = await connect(settings)
    handle = await with_db(settings, lambda db: apply_scenario_now(client, db, settings.task_queue, args.org,
                                                                   args.invoice, args.by))
    if handle is None:
        say(f"invoice {args.invoice} has a dunning run already; a run is never started twice")
        return 1
    say(f"scenario applied to invoice {args.invoice} ({handle.id}), asked by {args.by}")
    return 0


async def send_now(settings: Settings, args, with_db, say) -> int:
    from relance import calendar, repository
    from relance.scenario.plan import step_name
    from starter.dunning import send_next_now

    status = await send_next_now(await connect(settings), args.org, args.invoice, args.by)
    tz = await with_db(settings, lambda db: repository.zone(db, args.org))
    now_at = f" step {step_name(status.step_position, status.step_label)}" if status.step_position is not None else ""
    say(f"invoice {args.invoice}: the waiting step was asked to go now by {args.by}; the run is {status.state}"
        + now_at + (f", next at {calendar.written(status.next_at, tz)}" if status.next_at else ""))
    return 0


async def settings_cmd(settings: Settings, args, with_db, say) -> int:
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


def _dunning_change(model, given: dict):
    """The change, or one sentence naming each field refused (`dunning › minimum_amounts.EUR: ...`)."""
    from pydantic import ValidationError

    from relance import limits

    try:
        return model(**given)
    except ValidationError as exc:
        raise limits.Refused("; ".join(f"dunning › {'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
                                       for e in exc.errors())) from None


async def tasks_cmd(settings: Settings, args, with_db, say) -> int:
    from relance import calendar, repository, tasks
    from starter.tasks import close_task

    if args.tasks_action == "close":
        client = await connect(settings)
        view = await with_db(settings, lambda db: close_task(client, db, settings.task_queue, args.org, args.task_id,
                                                             args.by, datetime.now(UTC)))
        tz = await with_db(settings, lambda db: repository.zone(db, args.org))
        say(f"task {view.id} closed by {view.closed_by} at {calendar.written(view.closed_at, tz)}")
        return 0
    about = About(args.about_kind, args.about_ref or "") if args.about_kind else None
    closed = None if args.state is None else args.state == "closed"
    found = await with_db(settings, lambda db: tasks.list_tasks(db, args.org, about=about, assignee=args.assignee,
                                                                closed=closed))
    for t in found:
        state = f"closed by {t.closed_by}" if t.closed_at else "open"
        say(f"  {t.id:>6}  {t.due_on}  {t.about_kind} {t.about_ref:14} {t.assignee or '-':28} {t.title}  ({state})")
    say(f"{len(found)} task(s)")
    return 0


COMMANDS = {"apply": apply_now, "send-now": send_now, "settings": settings_cmd, "tasks": tasks_cmd}
