"""`relance up`: the local stack (PostgreSQL, the local SES endpoint, the Temporal dev server, a
worker, the API), the demo loaded once, the nightly jobs run, a summary; Ctrl-C stops it all.

A Ctrl-C or SIGTERM at any moment (imports, initdb, waiting for Temporal, the summary, the wait)
ends the same way: one line on stderr, every process the command started stopped, exit 128 + the
signal's number. A second signal cannot cut the stopping short.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time as wallclock
from datetime import UTC, datetime
from pathlib import Path

import click

from relance.cli.common import connect, runs
from relance.cli.output import say

COMMANDS: list[click.Command] = []

DEMO_FILE = Path(__file__).parent.parent / "demo" / "demo.yaml"
DEMO_FORM, DEMO_FORM_KEY = DEMO_FILE.with_name("fiche-administrative.pdf"), "fiche-r2"
SIGNAL_WATCH_SECONDS = 0.1
DEMO_SLUG = "demo"  # the organisation the demo's dunning history belongs to (relance.demo.history)


class _StopSignals:
    """SIGINT and SIGTERM: the first raises KeyboardInterrupt wherever the command is (a child's
    wait, the event loop), the later ones and any once stopping has begun are only noted."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.stopping = False

    def __call__(self, signum, frame) -> None:
        first = self.received is None
        self.received = self.received or signum
        if first and not self.stopping:
            raise KeyboardInterrupt


@runs(COMMANDS, "up", help="start the local stack, load the demo, run the sweep, wait for Ctrl-C")
@click.option("--no-demo", is_flag=True, help="do not load the demo data")
@click.option("--once", is_flag=True, help="stop everything after the summary (smoke test)")
def up(settings, args, with_db, say_) -> int:
    from relance.local import reaper

    signals = _StopSignals()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signals)
    stack = None
    try:
        reaper.guard()  # what the stack starts dies with this command, even if it is killed
        from relance.local.stack import LocalStack

        stack = LocalStack(settings)
        return asyncio.run(_until_stopped(signals, _up(settings, stack, args)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        signals.received = signals.received or signal.SIGINT
    except Exception:
        if signals.received is None:
            raise  # a real failure, said by relance.cli.common.execute
        # else a child the signal reached first failed: the interruption is what happened
    finally:
        signals.stopping = True
        if signals.received is not None:
            print(("\n" if sys.stderr.isatty() else "") + "relance up: stopping everything it started (state is "
                  f"kept in {settings.home})", file=sys.stderr, flush=True)
        if stack is not None:
            stack.stop()
    return 128 + (signals.received or signal.SIGINT)


async def _until_stopped(signals: _StopSignals, work) -> int:
    """Run `work` until it ends or a stop signal has come. The handler's KeyboardInterrupt can be lost
    when native code was running as it came (the Temporal client's bridge calling back into Python), so
    the signal it noted is watched for too: under load, one such Ctrl-C left the stack running."""
    task = asyncio.ensure_future(work)
    while not task.done():
        if signals.received is not None:
            task.cancel()
            raise KeyboardInterrupt
        await asyncio.wait({task}, timeout=SIGNAL_WATCH_SECONDS)
    return task.result()


async def _up(settings, stack, args) -> int:
    from relance.cli import outbox
    from relance.cli.sweeps import run_sweep
    from relance.db import Database
    from relance.migrate import upgrade_async
    from relance.temporal.admin import ensure_search_attributes
    from starter.email_events import ensure_ses_events_drain

    say("starting PostgreSQL, the local SES endpoint and the Temporal dev server …")
    stack.start_services()
    await stack.temporal.wait_ready()
    await upgrade_async(settings.database_url)
    client = await connect(settings)
    await ensure_search_attributes(client, settings.temporal_namespace)
    stack.start_worker()
    await ensure_ses_events_drain(client, settings.task_queue, settings.ses_events_every)
    db = Database(settings.database_url)
    try:
        if not args.no_demo:
            await _load_demo_once(settings, client, db)
        await run_sweep(settings, client, db, None, unless_run_today=True)
        await asyncio.sleep(2)  # let the first steps go out before the summary
        await _print_summary(settings, stack, client, db)
        await outbox.demo_accounts(settings, db, say)
    finally:
        await db.close()
    if args.once:
        return 0
    say("\nPress Ctrl-C to stop everything (state is kept in "
        f"{settings.home}; `relance up` resumes from it).")
    await asyncio.Event().wait()
    return 0


async def _load_demo_once(settings, client, db) -> None:
    """The demo is imported the first time only: a later `relance up` keeps what a person changed
    (a scenario made with the wizard, a cancelled run). Its dunning senders are verified at every
    start, as the local SES endpoint forgets them when it stops; the renewals sender is left
    unverified on purpose, so the demo has a blocked notice to look at and cancel."""
    from sqlmodel import select

    from models import Organisation
    from relance.cli import agency
    from relance.cli.imports import load_and_start
    from relance.demo.history import write_history
    from relance.documents.storage import DocumentStore
    from relance.email.mailer import SesMailer
    from relance.importing.importer import import_day, read_file

    raw = read_file(DEMO_FILE)
    mailer = SesMailer(settings)
    await DocumentStore(settings).ensure_bucket()  # the local endpoint forgets its buckets too
    for org in raw["organisations"]:
        await mailer.verify(org["dunning"]["sender"])
        for each in org.get("agencies", []):
            await mailer.verify(each["sender_email"])
    slugs = [org["slug"] for org in raw["organisations"]]
    async with db.session() as session:
        loaded = (await session.exec(select(Organisation.slug).where(Organisation.slug.in_(slugs)))).all()
    if loaded:
        say(f"demo data already loaded (organisation {', '.join(loaded)}): not imported again, so what you "
            f"changed stays; `relance import {DEMO_FILE}` reloads it")
        return await _keep_demo_form(settings, db, raw["organisations"][0]["slug"])
    await load_and_start(settings, client, db, raw, "demo data")
    written = await write_history(db, DEMO_SLUG, import_day(raw, datetime.now(UTC)))
    say(f"demo history: {written} past invoice(s) with their ended runs, for the reports")
    await agency.draft_demo(settings, client, raw, say)
    await _keep_demo_form(settings, db, raw["organisations"][0]["slug"])


async def _keep_demo_form(settings, db, slug: str) -> None:
    """Seed 004's administrative form, which the demo's R2 email attaches: kept again at every start, as the
    local endpoint forgets its objects when it stops."""
    from relance import repository
    from relance.documents.library import NewDocument
    from starter import documents

    with contextlib.suppress(repository.NotFound):
        await documents.remove(settings, db, slug, DEMO_FORM_KEY)
    await documents.add_bytes(settings, db, slug, NewDocument(
        DEMO_FORM.read_bytes(), "Fiche administrative.pdf", key=DEMO_FORM_KEY))


async def _print_summary(settings, stack, client, db) -> None:
    from sqlmodel import select

    from models import DunningRun, Organisation, RenewalNotice
    from relance.cli.runs import run_line
    from relance.demo.history import HISTORY_PREFIX
    from relance.local.ses import sent_messages

    async with db.session() as session:
        runs_ = (await session.exec(select(DunningRun, Organisation.timezone)
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
    say(f"\n{len(runs_)} dunning run(s) (the demo's past ones, {HISTORY_PREFIX}…, are in the reports page):")
    for run, tz in runs_:
        say(f"  {run.workflow_id:32} {await run_line(client, run, tz)}")
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
