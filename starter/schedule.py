"""The nightly sweep Schedule, one per organisation, in the organisation's time zone."""

from __future__ import annotations

from datetime import timedelta

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

from relance.dunning import SweepRequest
from relance.ids import sweep_schedule_id
from workflows.sweep import DunningSweepWorkflow


def sweep_schedule(org_slug: str, timezone: str, cron: str, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DunningSweepWorkflow.run,
            SweepRequest(org_slug),
            id=f"dunning-sweep-run:{org_slug}",
            task_queue=task_queue,
            static_summary=f"Nightly dunning sweep of {org_slug}",
        ),
        spec=ScheduleSpec(cron_expressions=[cron], time_zone_name=timezone),
        # A night missed by an outage is caught up within the day; two sweeps never overlap.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=20)),
    )


async def ensure_sweep_schedule(client: Client, org_slug: str, timezone: str, cron: str,
                                task_queue: str) -> ScheduleHandle:
    """Create the organisation's schedule, or bring an existing one up to date (time zone, cron)."""
    schedule = sweep_schedule(org_slug, timezone, cron, task_queue)
    try:
        return await client.create_schedule(sweep_schedule_id(org_slug), schedule)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(sweep_schedule_id(org_slug))
        await handle.update(lambda _: ScheduleUpdate(schedule=schedule))
        return handle
