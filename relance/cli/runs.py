"""`relance show|cancel|pay|activate`: one invoice's dunning run (its state and timeline, cancel its
reminders, record a payment) and an organisation's dunning switch, through starter.dunning."""

from __future__ import annotations

import time as wallclock
from decimal import Decimal, InvalidOperation

import click

from relance.cli.common import DATE, NEGATIVE_NUMBERS, Parsed, connect, connect_when_asked, runs, who
from relance.cli.output import say

COMMANDS: list[click.Command] = []


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


def _invoice(body):
    return click.argument("org")(click.argument("invoice")(body))


@runs(COMMANDS, "show", help="show a run and its timeline")
@_invoice
async def show(settings, args, with_db, say_) -> int:
    from relance import calendar
    from relance.scenario.plan import step_number
    from starter.dunning import run_report

    client_of = connect_when_asked(settings)

    report = await with_db(settings, lambda db: run_report(client_of, db, args.org, args.invoice))
    run, live = report.run, report.live

    def local(moment) -> str:
        return calendar.written(moment, report.timezone)

    say(f"{run.workflow_id}: " + (f"ended: {run.exit_reason}" if run.ended_at else run.state))
    if run.exit_detail:
        say(f"  detail: {run.exit_detail}")
    say(f"  scenario: {report.scenario}")
    if live is not None:
        say(f"  now: {status_line(live, report.timezone)}")
    elif report.live_error:
        say(f"  (live state unavailable: {report.live_error})")
    say("  timeline:")
    for e in report.events:
        who = f" → {e.recipient}" if e.recipient else ""
        step = "" if e.step_position is None else f"step {step_number(e.step_position)} "
        say(f"    {local(e.occurred_at)} {step}{_event_words(e.kind, e.outcome)}{who}"
            + (f" ({e.reason})" if e.reason else "") + (f" [{e.provider_message_id}]" if e.provider_message_id else ""))
    return 0


# A run event's kind and outcome read as one phrase, where the two words would say the same thing twice.
EVENT_WORDS = {("exit", "exited"): "run ended", ("hold", "held"): "held", ("skip", "skipped"): "skipped",
               ("signal_rejected", "refused"): "signal refused",
               ("request", "send_now"): "asked to send now", ("pause", "paused"): "paused",
               ("pause", "resumed"): "resumed", ("restart", "restarted"): "started again"}


def _event_words(kind: str, outcome: str) -> str:
    return EVENT_WORDS.get((kind, outcome), f"{kind} {outcome}".replace("_", " "))


def status_line(status, tz: str) -> str:
    """What a running run is doing, as its RelanceStep and current details say it: "waiting at step
    4. Deuxième relance, next at 2026-12-17 09:00 +0100" (`relance show` and the `up` summary)."""
    from relance import calendar
    from relance.scenario.plan import step_name

    if status.step_position is None:
        return f"{status.state}"
    line = f"{status.state} at step {step_name(status.step_position, status.step_label)}"
    return line + (f", next at {calendar.written(status.next_at, tz)}" if status.next_at else "")


async def run_line(client, run, tz: str) -> str:
    """A run in one line: how it ended, or what it is doing now (the `up` summary)."""
    from relance.scenario.plan import step_number
    from workflows.dunning import InvoiceDunningWorkflow

    if run.ended_at:
        return f"ended: {run.exit_reason}"
    try:
        return status_line(await client.get_workflow_handle(run.workflow_id).query(InvoiceDunningWorkflow.status), tz)
    except Exception:  # the worker is not answering yet: the database's last decided step
        return f"{run.state} (last decided: step {step_number(run.current_step)})"


@runs(COMMANDS, "cancel", help="cancel the reminders of an invoice")
@_invoice
@click.option("--reason", required=True)
@click.option("--by", default=who)
async def cancel(settings, args, with_db, say_) -> int:
    from starter.dunning import cancel_reminders

    client = await connect(settings)
    outcome = await cancel_reminders(client, args.org, args.invoice, args.reason, args.by)
    if outcome is None:
        say(f"invoice {args.invoice} of {args.org} has no running dunning run")
        return 1
    if outcome == "cancelled":
        say(f"reminders of invoice {args.invoice} cancelled ({args.reason}, by {args.by})")
    elif outcome == "stopping":
        say(f"reminders of invoice {args.invoice} cancelled ({args.reason}, by {args.by}); the run stops "
            "once the step it is doing ends")
    else:
        say(f"invoice {args.invoice}: the run ended first ({outcome}), the cancel came too late")
    return 0


@runs(COMMANDS, "pay", help="record a payment; the run exits if nothing is due", context_settings=NEGATIVE_NUMBERS)
@_invoice
@click.argument("amount", type=Parsed(_amount, "amount"))
@click.option("--ref", help="the payment's reference, unique on the invoice (default: cli-<time>)")
@click.option("--date", type=DATE, help="the day it was paid (default: today in the organisation's zone)")
async def pay(settings, args, with_db, say_) -> int:
    from datetime import UTC, datetime

    from relance.repository import organisation_today
    from starter.dunning import record_payment

    client = await connect(settings)
    ref = args.ref or f"cli-{wallclock.time_ns() // 1_000_000}"  # per command, not per process

    async def record(db):
        paid_on = args.date or await organisation_today(db, args.org, datetime.now(UTC))
        return await record_payment(client, db, args.org, args.invoice, args.amount, ref, paid_on)

    due = await with_db(settings, record)
    if due < 0:
        say(f"payment {ref} recorded on {args.invoice}; warning: overpaid by {-due} ({args.amount} paid, "
            f"{due + args.amount} was due); nothing is due any more")
        return 0
    say(f"payment {ref} recorded on {args.invoice}; still due: {due}")
    return 0


@runs(COMMANDS, "activate", help="switch dunning on or off for an organisation")
@click.argument("org")
@click.argument("state", type=click.Choice(["on", "off"]))
async def activate(settings, args, with_db, say_) -> int:
    from starter.dunning import set_dunning_activation

    client = await connect(settings)
    enabled = args.state == "on"
    told = await with_db(settings, lambda db: set_dunning_activation(client, db, args.org, enabled))
    say(f"dunning {'on' if enabled else 'off'} for {args.org}" + (f"; {told} held run(s) resumed" if enabled else ""))
    return 0
