"""`relance`: the command line. Every command calls the same code as the host application's API."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time as wallclock
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlmodel import select
from temporalio.client import Client

from models import DunningRun, Organisation, RenewalNotice, RenewalSettings
from relance import calendar, limits, repository
from relance.cli import agency as agency_cli
from relance.cli import api as api_cli
from relance.cli import authoring as authoring_cli
from relance.cli import customers as customer_cli
from relance.cli import documents as documents_cli
from relance.cli import life as life_cli
from relance.cli import marketing as marketing_cli
from relance.cli import outbox as outbox_cli
from relance.cli import pipeline as pipeline_cli
from relance.cli import renewal as renewal_cli
from relance.cli import reports as reports_cli
from relance.cli import setup as setup_cli
from relance.cli import uncertain as uncertain_cli
from relance.cli import webhooks as webhook_cli
from relance.config import ConfigError, Settings
from relance.db import Database
from relance.demo.history import HISTORY_PREFIX, write_history
from relance.documents.library import NewDocument
from relance.documents.storage import DocumentStore
from relance.email.mailer import SesMailer
from relance.importing import changes, guard
from relance.importing.importer import ImportRejected, ImportReport, read_file
from relance.nightly import SweepResult
from relance.scenario.authoring import ScenarioRejected
from relance.scenario.plan import step_name, step_number
from relance.temporal.client import connect, connect_when_asked
from relance.webhooks.errors import WebhookError
from starter import documents as documents_starter
from starter.importing import import_and_start, import_data

DEMO_FILE = Path(__file__).parent.parent / "demo" / "demo.yaml"
DEMO_FORM, DEMO_FORM_KEY = DEMO_FILE.with_name("fiche-administrative.pdf"), "fiche-r2"
DEMO_SLUG = "demo"  # the organisation the demo's dunning history belongs to (relance.demo.history)


def say(message: str = "") -> None:
    print(message, flush=True)


async def _with_db(settings: Settings, work):
    db = Database(settings.database_url)
    try:
        return await work(db)
    finally:
        await db.close()


# --- import -------------------------------------------------------------------------------------

async def load_and_start(settings: Settings, client: Client, db: Database, raw, source: str) -> ImportReport:
    """Import and start, as the host application does (starter.importing.import_and_start), saying what happened."""
    outcome = await import_and_start(client, db, settings.task_queue, settings.sweep_cron, raw, source,
                                     datetime.now(UTC).date(), progress=lambda line: say(f"  … {line}"),
                                     settings=settings)
    report = outcome.report
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(report.counts.items()))
    say(f"imported {len(report.organisations)} organisation(s): {counts}")
    if outcome.runs_started:
        say(f"started {outcome.runs_started} run(s) at invoice creation (apply-to-new-invoices)")
    say(f"nightly schedule(s): {', '.join(outcome.schedules)} ({settings.sweep_cron}, organisation time zone)")
    return report


async def dry_run(settings: Settings, path: str) -> None:
    """What the file would change, section by section; nothing is written, nothing started."""
    async def work(db):
        report = await import_data(db, read_file(Path(path)), path, datetime.now(UTC).date(), dry_run=True)
        say(f"dry run of {path}: nothing written")
        for line in changes.lines(report.changes):
            say(line)
        if not report.changes.changed:
            say("nothing would change")

    await _with_db(settings, work)


async def cmd_import(settings: Settings, args) -> int:
    with guard.bounded():  # the API's bounds: past them the command says so and ends, nothing written
        if args.dry_run:
            await dry_run(settings, args.file)
            return 0
        client = await connect(settings)

        async def work(db):
            await load_and_start(settings, client, db, read_file(Path(args.file)), args.file)

        await _with_db(settings, work)
        return 0


# --- sweep --------------------------------------------------------------------------------------

async def run_sweep(settings: Settings, client: Client, db: Database, org_slugs: list[str] | None, *,
                    unless_run_today: bool = False) -> None:
    """What the nightly Schedules do, now, by triggering them: the dunning sweep of each organisation
    with dunning on, the renewal inspection of each with renewals on (or both jobs for the
    organisations named). `relance up` passes `unless_run_today`: a job its Schedule already ran
    today is shown, not run again, so starting the stack twice adds no run."""
    from starter.schedule import renewal_inspection_now, sweep_now

    orgs = select(Organisation.slug, Organisation.timezone)
    async with db.session() as session:
        for slug in org_slugs or []:
            await repository.organisation(session, slug)  # an unknown slug fails now, not in a retried job
        if org_slugs:
            dunning = renewals = (await session.exec(orgs.where(Organisation.slug.in_(org_slugs)))).all()
        else:
            dunning = (await session.exec(orgs.where(Organisation.dunning_enabled))).all()
            renewals = (await session.exec(orgs.join(RenewalSettings, RenewalSettings.org_id == Organisation.id)
                                           .where(RenewalSettings.enabled))).all()
    for slug, tz in dunning:
        r, run = await _run_job(settings, client, slug, tz, sweep_now, unless_run_today)
        say(_job_line(f"sweep {slug}", _sweep_figures(r), run, tz))
        for problem in r.problems:
            say(f"  skipped: {problem}")
    for slug, tz in renewals:
        r, run = await _run_job(settings, client, slug, tz, renewal_inspection_now, unless_run_today)
        say(_job_line(f"renewals {slug}", f"{r.examined} notice(s) due, {r.started} notice(s) started", run, tz))


# Temporal restarting under a sweep: the command waits this long for it to come back.
TEMPORAL_OUTAGE_WAIT = 180.0


async def _run_job(settings: Settings, client: Client, slug: str, tz: str, job_now, unless_run_today: bool):
    """Trigger one nightly job's Schedule (or join its run) and show the run's progress until it ends; a
    Temporal restart meanwhile is waited out (the job itself carries on on the server)."""
    from temporalio.service import RPCError

    run = await job_now(client, slug, tz, settings.sweep_cron, settings.task_queue, unless_run_today=unless_run_today)
    handle = client.get_workflow_handle(run.workflow_id, run_id=run.run_id, result_type=SweepResult)
    outage_began = None
    while True:
        task = asyncio.create_task(handle.result())
        while not task.done():
            await asyncio.wait([task], timeout=1.0)
            if not task.done():
                say(f"  … {slug}: {await _sweep_progress(client, handle)}")
        try:
            return task.result(), run
        except RPCError as exc:
            outage_began = outage_began or wallclock.monotonic()
            if wallclock.monotonic() - outage_began > TEMPORAL_OUTAGE_WAIT:
                raise
            say(f"  … {slug}: Temporal at {settings.temporal_address} unreachable ({exc.message[:120]}); "
                "waiting for it to come back (the sweep carries on on the server)")
            await asyncio.sleep(2)


def _sweep_figures(r: SweepResult) -> str:
    """What a dunning sweep found. An invoice whose run Temporal already had (started by an import, its first
    step not yet recorded in the database) is not one without its run: it is named apart."""
    line = f"{r.examined - r.already_known} invoice(s) without their run, {r.started} run(s) started"
    line += f", {r.skipped} skipped (bad records)" if r.skipped else ""
    return line + (f"; {r.already_known} already had theirs in Temporal (not yet recorded in the database)"
                   if r.already_known else "")


def _job_line(job: str, figures: str, run, tz: str) -> str:
    """What a nightly job examined and started, and which run of its Schedule did it."""
    which = f"{run.workflow_id} of Schedule {run.schedule_id}"
    if run.started_now:
        return f"{job}: {figures} (run {which})"
    if run.running:
        return f"{job}: joined the run in progress ({which}): {figures}"
    return (f"{job}: already run today at {calendar.written(run.started_at, tz)} ({which}): {figures}; "
            "`relance sweep` runs it again")


async def _sweep_progress(client: Client, handle) -> str:
    from temporalio.client import WorkflowQueryFailedError
    from temporalio.service import RPCError

    try:
        description = await handle.describe()
        for pending in description.raw_description.pending_activities:
            if pending.heartbeat_details.payloads and pending.activity_type.name != "start_runs":
                _, done = await client.data_converter.decode(pending.heartbeat_details.payloads)
                return f"{done['examined']} examined, {done['started']} started"
        done = await handle.query("progress", result_type=SweepResult)
        return f"{done.examined} examined, {done.started} started"
    except RPCError as exc:
        return f"Temporal unreachable ({exc.message[:120]}), waiting"
    except WorkflowQueryFailedError:
        return "waiting for the worker"


async def cmd_sweep(settings: Settings, args) -> int:
    client = await connect(settings)
    await _with_db(settings, lambda db: run_sweep(settings, client, db, args.org))
    return 0


# --- runs ---------------------------------------------------------------------------------------

async def cmd_show(settings: Settings, args) -> int:
    from starter.dunning import run_report

    client_of = connect_when_asked(settings)

    report = await _with_db(settings, lambda db: run_report(client_of, db, args.org, args.invoice))
    run, live = report.run, report.live

    def local(moment) -> str:
        return calendar.written(moment, report.timezone)

    say(f"{run.workflow_id}: " + (f"ended: {run.exit_reason}" if run.ended_at else run.state))
    if run.exit_detail:
        say(f"  detail: {run.exit_detail}")
    say(f"  scenario: {report.scenario}")
    if live is not None:
        say(f"  now: {_status_line(live, report.timezone)}")
    elif report.live_error:
        say(f"  (live state unavailable: {report.live_error})")
    say("  timeline:")
    for e in report.events:
        who = f" → {e.recipient}" if e.recipient else ""
        step = "" if e.step_position is None else f"step {step_number(e.step_position)} "
        say(f"    {local(e.occurred_at)} {step}{_event_words(e.kind, e.outcome)}{who}" + (f" ({e.reason})" if e.reason else "")
            + (f" [{e.provider_message_id}]" if e.provider_message_id else ""))
    return 0


# A run event's kind and outcome read as one phrase, where the two words would say the same thing twice.
EVENT_WORDS = {("exit", "exited"): "run ended", ("hold", "held"): "held", ("skip", "skipped"): "skipped",
               ("signal_rejected", "refused"): "signal refused",
               ("request", "send_now"): "asked to send now", ("pause", "paused"): "paused",
               ("pause", "resumed"): "resumed", ("restart", "restarted"): "started again"}


def _event_words(kind: str, outcome: str) -> str:
    return EVENT_WORDS.get((kind, outcome), f"{kind} {outcome}".replace("_", " "))


async def _live_state(client: Client, workflow_id: str, tz: str) -> str:
    """What a running run is doing, as its RelanceStep and current details say it: "waiting at step
    4. Deuxième relance, next at 2026-12-17 09:00 +0100" (`relance show` and the `up` summary)."""
    from workflows.dunning import InvoiceDunningWorkflow

    return _status_line(await client.get_workflow_handle(workflow_id).query(InvoiceDunningWorkflow.status), tz)


def _status_line(status, tz: str) -> str:
    if status.step_position is None:
        return f"{status.state}"
    line = f"{status.state} at step {step_name(status.step_position, status.step_label)}"
    return line + (f", next at {calendar.written(status.next_at, tz)}" if status.next_at else "")


async def _run_line(client: Client, run: DunningRun, tz: str) -> str:
    if run.ended_at:
        return f"ended: {run.exit_reason}"
    try:
        return await _live_state(client, run.workflow_id, tz)
    except Exception:  # the worker is not answering yet: the database's last decided step
        return f"{run.state} (last decided: step {step_number(run.current_step)})"


async def cmd_cancel(settings: Settings, args) -> int:
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


async def cmd_pay(settings: Settings, args) -> int:
    from starter.dunning import record_payment

    client = await connect(settings)
    due = await _with_db(settings, lambda db: record_payment(
        client, db, args.org, args.invoice, args.amount, args.ref, args.date or date.today()))
    if due < 0:
        say(f"payment {args.ref} recorded on {args.invoice}; warning: overpaid by {-due} ({args.amount} paid, "
            f"{due + args.amount} was due); nothing is due any more")
        return 0
    say(f"payment {args.ref} recorded on {args.invoice}; still due: {due}")
    return 0


async def cmd_activate(settings: Settings, args) -> int:
    from starter.dunning import set_dunning_activation

    client = await connect(settings)
    enabled = args.state == "on"
    told = await _with_db(settings, lambda db: set_dunning_activation(client, db, args.org, enabled))
    say(f"dunning {'on' if enabled else 'off'} for {args.org}" + (f"; {told} held run(s) resumed" if enabled else ""))
    return 0


async def cmd_mail(settings: Settings, args) -> int:
    """What the local SES endpoint accepted, with when each went (the ledger's time, in the sending
    organisation's zone), from, to, cc, bcc and subject; `--show N` prints one email's body."""
    from relance.local.ses import sent_messages

    messages = sent_messages(settings.ses_endpoint)
    sent_at = await _with_db(settings, lambda db: _sent_times(db, [m["message_id"] for m in messages]))
    if args.show is not None:
        number = args.show + len(messages) + 1 if args.show < 0 else args.show
        if not 1 <= number <= len(messages):
            say(f"no email #{args.show}: the SES endpoint has {len(messages)} (see `relance mail`)")
            return 1
        m = messages[number - 1]
        say(_mail_line(number, m, sent_at))
        if m.get("list_unsubscribe"):
            say(f"  List-Unsubscribe: {m['list_unsubscribe']}")
        for attachment in m["attachments"]:
            say(f"  attachment: {attachment['filename']} ({attachment['content_type']}, "
                f"{len(attachment['data']):,} bytes)")
        say("")
        say(m["text"] if m["text"] is not None else _as_text(m["body"]))
        return 0
    shown = list(enumerate(messages, start=1))[-args.last:]
    for number, m in shown:
        say(_mail_line(number, m, sent_at))
    say(f"{len(shown)} of {len(messages)} email(s) accepted by the SES endpoint {settings.ses_endpoint}; "
        "`relance mail --show N` prints one")
    return 0


def _as_text(body: str) -> str:
    """The endpoint keeps only the HTML part of a SendEmail; ours is the text part escaped, so this
    gives the text back."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br>\n?", "\n", body))).strip()


async def _load_demo_once(settings: Settings, client: Client, db: Database) -> None:
    """The demo is imported the first time only: a later `relance up` keeps what a person changed
    (a scenario made with the wizard, a cancelled run). Its dunning senders are verified at every
    start, as the local SES endpoint forgets them when it stops; the renewals sender is left
    unverified on purpose, so the demo has a blocked notice to look at and cancel."""
    raw = read_file(DEMO_FILE)
    mailer = SesMailer(settings)
    await DocumentStore(settings).ensure_bucket()  # the local endpoint forgets its buckets too
    for org in raw["organisations"]:
        await mailer.verify(org["dunning"]["sender"])
        for agency in org.get("agencies", []):
            await mailer.verify(agency["sender_email"])
    slugs = [org["slug"] for org in raw["organisations"]]
    async with db.session() as session:
        loaded = (await session.exec(select(Organisation.slug).where(Organisation.slug.in_(slugs)))).all()
    if loaded:
        say(f"demo data already loaded (organisation {', '.join(loaded)}): not imported again, so what you "
            f"changed stays; `relance import {DEMO_FILE}` reloads it")
        return await _keep_demo_form(settings, db, raw["organisations"][0]["slug"])
    await load_and_start(settings, client, db, raw, "demo data")
    written = await write_history(db, DEMO_SLUG, datetime.now(UTC).date())
    say(f"demo history: {written} past invoice(s) with their ended runs, for the reports")
    await agency_cli.draft_demo(settings, client, raw, say)
    await _keep_demo_form(settings, db, raw["organisations"][0]["slug"])


async def _keep_demo_form(settings: Settings, db: Database, slug: str) -> None:
    """Seed 004's administrative form, which the demo's R2 email attaches: kept again at every start, as the
    local endpoint forgets its objects when it stops."""
    with contextlib.suppress(repository.NotFound):
        await documents_starter.remove(settings, db, slug, DEMO_FORM_KEY)
    await documents_starter.add_bytes(settings, db, slug, NewDocument(
        DEMO_FORM.read_bytes(), "Fiche administrative.pdf", key=DEMO_FORM_KEY))


def _mail_line(number: int, m: dict, sent_at: dict) -> str:
    when = sent_at.get(m["message_id"], "(not in this database)")
    copies = "".join(f"  {kind}: {', '.join(m['destinations'][kind])}" for kind in ("cc", "bcc")
                     if m["destinations"][kind])
    return f"#{number}  {when}  {m['source']}  →  {', '.join(m['destinations']['to'])}{copies}\n    {m['subject']}"


async def _sent_times(db: Database, message_ids: list[str]) -> dict[str, str]:
    """message id -> when the ledger confirmed it, in its organisation's zone with the offset."""
    from models import EmailLedgerEntry

    if not message_ids:
        return {}
    async with db.session() as session:
        rows = (await session.exec(
            select(EmailLedgerEntry.provider_message_id, EmailLedgerEntry.settled_at, Organisation.timezone)
            .join(Organisation, Organisation.id == EmailLedgerEntry.org_id)
            .where(EmailLedgerEntry.provider_message_id.in_(message_ids)))).all()
    return {mid: calendar.written(at, tz) for mid, at, tz in rows if at}


# --- admin --------------------------------------------------------------------------------------

async def cmd_admin(settings: Settings, args) -> int:
    """Prepare a real cluster's namespace: idempotent, safe to run at every deploy."""
    from datetime import timedelta

    from temporalio.service import RPCError

    from relance.temporal.admin import ensure_namespace, ensure_search_attributes

    namespace = args.namespace or settings.temporal_namespace
    client = await connect(settings)
    if args.create_namespace:
        created = await ensure_namespace(client, namespace, timedelta(days=args.retention_days))
        say(f"namespace {namespace}: {'created' if created else 'already there'}")
    # A namespace just created takes a few seconds to be known to every service.
    for attempt in range(60):
        try:
            added = await ensure_search_attributes(client, namespace)
            break
        except RPCError:
            if attempt == 59:
                raise
            await asyncio.sleep(0.5)
    say(f"search attributes of {namespace}: " + (f"added {', '.join(added)}" if added else "all already there"))
    from starter.email_events import ensure_ses_events_drain

    drain = await ensure_ses_events_drain(client, settings.task_queue, settings.ses_events_every)
    say(f"run {drain.id}: SES's events drained every {settings.ses_events_every:g} s")
    return 0


# --- stack --------------------------------------------------------------------------------------

async def cmd_up(settings: Settings, args) -> int:
    from relance.local.stack import LocalStack
    from relance.migrate import upgrade_async
    from relance.temporal.admin import ensure_search_attributes

    stack = LocalStack(settings)
    # Ctrl-C (once or twice) and SIGTERM (`kill`, a process manager) all end here: the task is
    # cancelled, `finally` stops every process this command started, and a second signal cannot cut
    # that short. Also when SIGINT came in ignored (a background job of a script).
    main_task = asyncio.current_task()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(stop_signal, main_task.cancel)
    try:
        say("starting PostgreSQL, the local SES endpoint and the Temporal dev server …")
        stack.start_services()
        await stack.temporal.wait_ready()
        await upgrade_async(settings.database_url)
        client = await connect(settings)
        await ensure_search_attributes(client, settings.temporal_namespace)
        stack.start_worker()
        from starter.email_events import ensure_ses_events_drain

        await ensure_ses_events_drain(client, settings.task_queue, settings.ses_events_every)
        db = Database(settings.database_url)
        try:
            if not args.no_demo:
                await _load_demo_once(settings, client, db)
            await run_sweep(settings, client, db, None, unless_run_today=True)
            await asyncio.sleep(2)  # let the first steps go out before the summary
            await _print_summary(settings, stack, client, db)
            await outbox_cli.demo_accounts(settings, db, say)
        finally:
            await db.close()
        if args.once:
            return 0
        say("\nPress Ctrl-C to stop everything (state is kept in "
            f"{settings.home}; `relance up` resumes from it).")
        await asyncio.Event().wait()
    except (KeyboardInterrupt, asyncio.CancelledError):
        say("\nstopping …")
    finally:
        stack.stop()
    return 0


async def _print_summary(settings: Settings, stack, client: Client, db: Database) -> None:
    from relance.local.ses import sent_messages

    async with db.session() as session:
        runs = (await session.exec(select(DunningRun, Organisation.timezone)
                                   .join(Organisation, Organisation.id == DunningRun.org_id)
                                   .where(DunningRun.workflow_id.not_like(f"%:{HISTORY_PREFIX}%"))
                                   .order_by(DunningRun.workflow_id))).all()
        notices = (await session.exec(select(RenewalNotice).order_by(RenewalNotice.workflow_id))).all()
    say("\nrelance is up:")
    say(f"  Temporal UI   {stack.temporal.ui_url}/namespaces/{settings.temporal_namespace}/workflows"
        "   (filter: RelanceOrganisation = \"demo\")")
    say(f"  Temporal      {settings.temporal_address}, namespace {settings.temporal_namespace}, "
        f"task queue {settings.task_queue}")
    ready = "ready" if await _answers(f"{stack.api_url}/readyz") else f"not ready: see {stack.logs}/api.log"
    say(f"  HTTP API      {stack.api_url} ({ready})   docs: {stack.api_url}/docs; a key: `relance apikey create demo`")
    say(f"  PostgreSQL    {settings.database_url}")
    say(f"  SES (local)   {settings.ses_endpoint}: {len(sent_messages(settings.ses_endpoint))} email(s) accepted"
        " so far; `relance mail` lists them")
    say(f"  logs          {stack.logs}/")
    say(f"\n{len(runs)} dunning run(s) (the demo's past ones, {HISTORY_PREFIX}…, are in the reports page):")
    for run, tz in runs:
        say(f"  {run.workflow_id:32} {await _run_line(client, run, tz)}")
    say(f"\n{len(notices)} renewal notice(s):")
    for notice in notices:
        say(f"  {notice.workflow_id:32} {notice.state:8}" + (f"  {notice.outcome}" if notice.outcome else "")
            + (f" ({notice.reason})" if notice.reason else "")
            + (f" → {notice.recipient}" if notice.recipient else ""))


async def _answers(url: str, wait_seconds: float = 30) -> bool:
    """Whether the URL answers 200 within the wait (a service just started takes a moment)."""
    import httpx

    deadline = wallclock.monotonic() + wait_seconds
    async with httpx.AsyncClient(timeout=2) as http:
        while wallclock.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    return False


# --- parser -------------------------------------------------------------------------------------

def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r}") from exc


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relance", description="Durable invoice dunning and contract renewal notices "
                                                            "on Temporal.")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks instead of one sentence")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the local stack, load the demo, run the sweep, wait for Ctrl-C")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    up.add_argument("--once", action="store_true", help="stop everything after the summary (smoke test)")
    sub.add_parser("worker", help="run a worker (settings from the environment)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    imp = sub.add_parser("import", help="import a YAML or JSON file (format in docs/import-format.md)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="say what the file would change, write nothing")
    sw = sub.add_parser("sweep", help="run the nightly jobs now: dunning sweep and renewal inspection")
    sw.add_argument("--org", action="append", help="organisation slug (repeatable); default: all enabled")
    for name, text in (("show", "show a run and its timeline"), ("cancel", "cancel the reminders of an invoice"),
                       ("pay", "record a payment; the run exits if nothing is due")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("org")
        cmd.add_argument("invoice")
        if name == "cancel":
            cmd.add_argument("--reason", required=True)
            cmd.add_argument("--by", default=os.environ.get("USER", "cli"))
        if name == "pay":
            cmd.add_argument("amount", type=_amount)
            cmd.add_argument("--ref", default=f"cli-{int(wallclock.time())}")
            cmd.add_argument("--date", type=date.fromisoformat)
    act = sub.add_parser("activate", help="switch dunning on or off for an organisation")
    act.add_argument("org")
    act.add_argument("state", choices=["on", "off"])
    authoring_cli.add_parsers(sub)
    adm = sub.add_parser("admin", help="register relance's search attributes (and namespace) on any Temporal server")
    adm.add_argument("action", choices=["setup"])
    adm.add_argument("--namespace", help="default: RELANCE_TEMPORAL_NAMESPACE")
    adm.add_argument("--create-namespace", action="store_true")
    adm.add_argument("--retention-days", type=int, default=30)
    key = sub.add_parser("codec-key", help="print a new encryption key entry for RELANCE_CODEC_KEYS")
    key.add_argument("key_id", nargs="?", default="k1")
    cs = sub.add_parser("codec-server", help="serve /encode and /decode for the Temporal UI and CLI")
    cs.add_argument("--host", default="127.0.0.1")
    mail = sub.add_parser("mail", help="list the emails the local SES endpoint accepted: when, from, to, subject")
    mail.add_argument("--last", type=int, default=50)
    mail.add_argument("--show", type=int, metavar="N", help="print email #N (as numbered in the list; -1 the last) with its body")
    renewal_cli.add_parser(sub)
    customer_cli.add_parser(sub)
    marketing_cli.add_parser(sub)
    pipeline_cli.add_parser(sub)
    reports_cli.add_parser(sub)
    api_cli.add_parsers(sub)
    webhook_cli.add_parser(sub)
    uncertain_cli.add_parser(sub)
    agency_cli.add_parser(sub)
    documents_cli.add_parser(sub)
    outbox_cli.add_parser(sub)
    setup_cli.add_parser(sub)
    life_cli.add_parsers(sub)
    return p


async def cmd_authoring(settings: Settings, args) -> int:
    return await authoring_cli.COMMANDS[args.command](settings, args, _with_db, say)


async def cmd_apikey(settings: Settings, args) -> int:
    return await api_cli.apikey(settings, args, _with_db, say)


async def cmd_renewal(settings: Settings, args) -> int:
    return await renewal_cli.run(settings, args, _with_db, say)


async def cmd_customer(settings: Settings, args) -> int:
    return await customer_cli.run(settings, args, _with_db, say)


async def cmd_marketing(settings: Settings, args) -> int:
    return await marketing_cli.run(settings, args, _with_db, say)


async def cmd_pipeline(settings: Settings, args) -> int:
    return await pipeline_cli.run(settings, args, _with_db, say)


async def cmd_report(settings: Settings, args) -> int:
    return await reports_cli.run(settings, args, _with_db, say)


async def cmd_webhook(settings: Settings, args) -> int:
    return await webhook_cli.run(settings, args, _with_db, say)


async def cmd_uncertain(settings: Settings, args) -> int:
    return await uncertain_cli.run(settings, args, _with_db, say)


async def cmd_document(settings: Settings, args) -> int:
    return await documents_cli.run(settings, args, _with_db, say)


async def cmd_agency(settings: Settings, args) -> int:
    return await agency_cli.run(settings, args, _with_db, say)


async def cmd_outbox(settings: Settings, args) -> int:
    return await outbox_cli.run(settings, args, _with_db, say)


async def cmd_setup(settings: Settings, args) -> int:
    return await setup_cli.COMMANDS[args.command](settings, args, _with_db, say)


async def cmd_life(settings: Settings, args) -> int:
    return await life_cli.COMMANDS[args.command](settings, args, _with_db, say)


COMMANDS = {**{name: cmd_authoring for name in authoring_cli.COMMANDS},
            **{name: cmd_setup for name in setup_cli.COMMANDS}, **{name: cmd_life for name in life_cli.COMMANDS},
            "import": cmd_import, "sweep": cmd_sweep, "show": cmd_show, "cancel": cmd_cancel, "pay": cmd_pay,
            "activate": cmd_activate, "up": cmd_up, "mail": cmd_mail, "renewal": cmd_renewal, "customer": cmd_customer,
            "admin": cmd_admin,
            "apikey": cmd_apikey, "webhook": cmd_webhook, "uncertain": cmd_uncertain, "marketing": cmd_marketing,
            "pipeline": cmd_pipeline, "report": cmd_report,
            "agency": cmd_agency, "outbox": cmd_outbox, "document": cmd_document}


def main(argv: list[str] | None = None) -> int:
    """Run one command and exit with its code."""
    code = run(argv)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    os._exit(code)  # sdk-python#300: a short-lived client can abort at interpreter exit


def run(argv: list[str] | None = None) -> int:
    """One command's exit code. A failure is one sentence on stderr and a non-zero exit, never a
    traceback (unless --debug); a closed pipe (`relance show … | head`) ends the command quietly."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse has said what is wrong (usage, the argument and why)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            raise
        print(f"relance {args.command}: {_explain(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, (ImportRejected, ScenarioRejected, WebhookError, limits.Refused, ConfigError)) else 1


def _explain(exc: BaseException) -> str:
    """A sentence for what went wrong: what was unreachable or missing, and how to see more."""
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError, RPCStatusCode

    if isinstance(exc, (ImportRejected, ScenarioRejected, WebhookError, repository.NotFound, limits.Refused,
                        ConfigError)):
        return str(exc)
    settings = Settings()
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        return f"no such workflow running (Temporal: {exc.message})"
    if isinstance(exc, WorkflowUpdateFailedError):
        return str(exc.cause or exc)
    text = f"{type(exc).__name__}: {exc}".split("\n")[0][:300]
    if "client connect" in text.lower() or isinstance(exc, RPCError):
        return f"cannot reach Temporal at {settings.temporal_address} ({text}); is it running?"
    if any(word in text for word in ("asyncpg", "Connect call failed", "OperationalError", "connection was closed")):
        return f"cannot reach PostgreSQL ({text}); is it running (RELANCE_DATABASE_URL)?"
    return f"{text} (run with --debug to see the traceback)"


def _run(args) -> int:
    settings = Settings()
    if args.command in ("worker", "api", "codec-server"):
        settings.refuse_unsafe(codec_server=args.command == "codec-server")
    from relance.logging import configure

    configure(settings.log_format, settings.log_level)  # log lines on stderr, never mixed into an answer
    if args.command in ("worker", "api"):
        import structlog

        for caution in settings.cautions():
            structlog.get_logger().warning("unsafe setting", caution=caution)
    if args.command == "worker":
        from worker import run_worker

        asyncio.run(run_worker(settings))
        return 0
    if args.command == "migrate":
        from relance.migrate import upgrade

        upgrade(settings.database_url)
        say("database schema up to date")
        return 0
    if args.command == "api":
        return api_cli.serve(settings, args, say)
    if args.command == "codec-key":
        from relance.temporal.codec import new_key

        say(f"{args.key_id}:{new_key()}")
        return 0
    if args.command == "codec-server":
        from relance.temporal.codec import codec_from
        from relance.temporal.codec_server import serve

        codec = codec_from(settings.codec_keys)
        if codec is None:
            print("RELANCE_CODEC_KEYS is empty: nothing to decode", file=sys.stderr)
            return 2
        say(f"codec server on http://{args.host}:{settings.codec_port} (CORS: {settings.codec_cors_origins})")
        serve(codec, args.host, settings.codec_port, settings.codec_cors_origins.split(","), settings.codec_token)
        return 0
    return asyncio.run(COMMANDS[args.command](settings, args))


if __name__ == "__main__":
    main()
