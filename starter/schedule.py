"""The nightly Schedules, one per organisation and per job, in the organisation's time zone:
`dunning-sweep:<org>` (DunningSweepWorkflow) and `renewal-inspection:<org>` (RenewalInspectionWorkflow).

One schedule per job rather than one workflow doing both: each can be paused on the Schedules page
on its own (renewals stopped for maintenance while reminders go on), a failing job never holds the
other one up, and each has its own name, history and result. Both fire at the same cron time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
)
from temporalio.service import RPCError, RPCStatusCode

from relance import calendar
from relance.dunning.ids import sweep_schedule_id
from relance.nightly import SweepRequest
from relance.renewal.ids import renewal_schedule_id
from workflows.dunning import DunningSweepWorkflow
from workflows.renewal import RenewalInspectionWorkflow


def _nightly_schedule(run, action_id: str, summary: str, org_slug: str, timezone: str, cron: str,
                     task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(run, SweepRequest(org_slug), id=action_id, task_queue=task_queue,
                                           static_summary=summary),
        spec=ScheduleSpec(cron_expressions=[cron], time_zone_name=timezone),
        # A night missed by an outage is caught up within the day; two runs never overlap.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=20)),
    )


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> ScheduleHandle:
    """Create the schedule, or bring an existing one up to date (time zone, cron)."""
    try:
        return await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(schedule_id)
        await handle.update(lambda _: ScheduleUpdate(schedule=schedule))
        return handle


async def ensure_sweep_schedule(client: Client, org_slug: str, timezone: str, cron: str,
                                task_queue: str) -> ScheduleHandle:
    schedule = _nightly_schedule(DunningSweepWorkflow.run, f"dunning-sweep-run:{org_slug}",
                                f"Nightly dunning sweep of {org_slug}", org_slug, timezone, cron, task_queue)
    return await ensure_schedule(client, sweep_schedule_id(org_slug), schedule)


async def ensure_renewal_schedule(client: Client, org_slug: str, timezone: str, cron: str,
                                  task_queue: str) -> ScheduleHandle:
    """A day missed beyond the catch-up window is still caught up: the inspection sends every notice
    whose date has passed while its term has not ended (relance.renewal.terms)."""
    schedule = _nightly_schedule(RenewalInspectionWorkflow.run, f"renewal-inspection-run:{org_slug}",
                                f"Nightly renewal inspection of {org_slug}", org_slug, timezone, cron, task_queue)
    return await ensure_schedule(client, renewal_schedule_id(org_slug), schedule)


@dataclass
class NightlyRun:
    """One run of a nightly Schedule: started now, or the one it already started today."""

    schedule_id: str
    workflow_id: str
    run_id: str
    started_at: datetime
    started_now: bool  # False: joined while running, or found already run today
    running: bool


# How long a triggered Schedule may take to record its action (it does so asynchronously).
TRIGGER_TIMEOUT = timedelta(seconds=30)


async def run_schedule_now(client: Client, schedule_id: str, timezone: str,
                           create: Callable[[], Awaitable[ScheduleHandle]], *,
                           unless_run_today: bool = False) -> NightlyRun:
    """Run a nightly job now by triggering its Schedule (created with `create` when missing): the run
    is one of the Schedule's own, in its "Recent runs" with the same id as the nightly ones, not a
    workflow started beside it. A run in progress is joined. With `unless_run_today`, a Schedule that
    already started a run today, in the organisation's zone, is not triggered again and that run is
    returned: `relance up` twice a day adds no run to the list, while `relance sweep` asks for a new one."""
    handle = client.get_schedule_handle(schedule_id)
    try:
        info = (await handle.describe()).info
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        handle = await create()
        info = (await handle.describe()).info
    known = _runs_of(schedule_id, info, started_now=False)
    if known_running := {run_id: run for run_id, run in known.items() if run.running}:
        return next(iter(known_running.values()))
    today = calendar.local_today(datetime.now(UTC), timezone)
    done_today = [run for run in known.values() if calendar.local_today(run.started_at, timezone) == today]
    if unless_run_today and done_today:
        return max(done_today, key=lambda run: run.started_at)
    await handle.trigger()
    deadline = datetime.now(UTC) + TRIGGER_TIMEOUT
    while datetime.now(UTC) < deadline:
        runs = _runs_of(schedule_id, (await handle.describe()).info, started_now=True)
        if new := [run for run_id, run in runs.items() if run_id not in known]:
            return new[0]
        await asyncio.sleep(0.2)
    raise TimeoutError(f"Schedule {schedule_id} started no run within {TRIGGER_TIMEOUT.seconds} s of its trigger")


async def sweep_now(client: Client, org_slug: str, timezone: str, cron: str, task_queue: str, *,
                    unless_run_today: bool = False) -> NightlyRun:
    """The dunning sweep now, as a run of `dunning-sweep:<org>` (run_schedule_now)."""
    return await run_schedule_now(
        client, sweep_schedule_id(org_slug), timezone,
        lambda: ensure_sweep_schedule(client, org_slug, timezone, cron, task_queue), unless_run_today=unless_run_today)


async def renewal_inspection_now(client: Client, org_slug: str, timezone: str, cron: str, task_queue: str, *,
                                 unless_run_today: bool = False) -> NightlyRun:
    """The renewal inspection now, as a run of `renewal-inspection:<org>` (run_schedule_now)."""
    return await run_schedule_now(
        client, renewal_schedule_id(org_slug), timezone,
        lambda: ensure_renewal_schedule(client, org_slug, timezone, cron, task_queue),
        unless_run_today=unless_run_today)


def _runs_of(schedule_id: str, info, started_now: bool) -> dict[str, NightlyRun]:
    """The Schedule's recent and running runs, by run id."""
    running = {a.first_execution_run_id for a in info.running_actions}
    runs = {a.first_execution_run_id: NightlyRun(schedule_id, a.workflow_id, a.first_execution_run_id,
                                                 datetime.now(UTC), started_now, True)
            for a in info.running_actions}
    runs.update({a.action.first_execution_run_id: NightlyRun(
        schedule_id, a.action.workflow_id, a.action.first_execution_run_id, a.started_at, started_now,
        a.action.first_execution_run_id in running) for a in info.recent_actions})
    return runs
