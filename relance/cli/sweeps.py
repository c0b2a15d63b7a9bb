"""`relance sweep [--org SLUG]`: the nightly jobs now (dunning sweep, renewal inspection), by
triggering their Schedules, with each run's progress and what it examined and started."""

from __future__ import annotations

import asyncio
import time as wallclock

import click

from relance.cli.common import connect, runs
from relance.cli.output import say, status

COMMANDS: list[click.Command] = []

# Temporal restarting under a sweep: the command waits this long for it to come back.
TEMPORAL_OUTAGE_WAIT = 180.0


@runs(COMMANDS, "sweep", help="run the nightly jobs now: dunning sweep and renewal inspection")
@click.option("--org", multiple=True, help="organisation slug (repeatable); default: all enabled")
async def sweep(settings, args, with_db, say_) -> int:
    client = await connect(settings)
    await with_db(settings, lambda db: run_sweep(settings, client, db, args.org))
    return 0


async def run_sweep(settings, client, db, org_slugs: list[str] | None, *, unless_run_today: bool = False) -> None:
    """What the nightly Schedules do, now, by triggering them: the dunning sweep of each organisation
    with dunning on, the renewal inspection of each with renewals on (or both jobs for the
    organisations named). `relance up` passes `unless_run_today`: a job its Schedule already ran
    today is shown, not run again, so starting the stack twice adds no run."""
    from sqlmodel import select

    from models import Organisation, RenewalSettings
    from relance import repository
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


async def _run_job(settings, client, slug: str, tz: str, job_now, unless_run_today: bool):
    """Trigger one nightly job's Schedule (or join its run) and show the run's progress until it ends; a
    Temporal restart meanwhile is waited out (the job itself carries on on the server)."""
    from temporalio.service import RPCError

    from relance.nightly import SweepResult

    run = await job_now(client, slug, tz, settings.sweep_cron, settings.task_queue, unless_run_today=unless_run_today)
    handle = client.get_workflow_handle(run.workflow_id, run_id=run.run_id, result_type=SweepResult)
    outage_began = None
    with status() as progress:
        while True:
            task = asyncio.create_task(handle.result())
            while not task.done():
                await asyncio.wait([task], timeout=1.0)
                if not task.done():
                    progress(f"{slug}: {await _sweep_progress(client, handle)}")
            try:
                return task.result(), run
            except RPCError as exc:
                outage_began = outage_began or wallclock.monotonic()
                if wallclock.monotonic() - outage_began > TEMPORAL_OUTAGE_WAIT:
                    raise
                say(f"  … {slug}: Temporal at {settings.temporal_address} unreachable ({exc.message[:120]}); "
                    "waiting for it to come back (the sweep carries on on the server)")
                await asyncio.sleep(2)


def _sweep_figures(r) -> str:
    """What a dunning sweep found. An invoice whose run Temporal already had (started by an import, its first
    step not yet recorded in the database) is not one without its run: it is named apart."""
    line = f"{r.examined - r.already_known} invoice(s) without their run, {r.started} run(s) started"
    line += f", {r.skipped} skipped (bad records)" if r.skipped else ""
    return line + (f"; {r.already_known} already had theirs in Temporal (not yet recorded in the database)"
                   if r.already_known else "")


def _job_line(job: str, figures: str, run, tz: str) -> str:
    """What a nightly job examined and started, and which run of its Schedule did it."""
    from relance import calendar

    which = f"{run.workflow_id} of Schedule {run.schedule_id}"
    if run.started_now:
        return f"{job}: {figures} (run {which})"
    if run.running:
        return f"{job}: joined the run in progress ({which}): {figures}"
    return (f"{job}: already run today at {calendar.written(run.started_at, tz)} ({which}): {figures}; "
            "`relance sweep` runs it again")


async def _sweep_progress(client, handle) -> str:
    from temporalio.client import WorkflowQueryFailedError
    from temporalio.service import RPCError

    from relance.nightly import SweepResult

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
