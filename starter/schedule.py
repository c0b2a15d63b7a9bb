"""The nightly Schedules, one per organisation and per job, in the organisation's time zone:
`dunning-sweep:<org>` (DunningSweepWorkflow) and `renewal-inspection:<org>` (RenewalInspectionWorkflow).

One schedule per job rather than one workflow doing both: each can be paused on the Schedules page
on its own (renewals stopped for maintenance while reminders go on), a failing job never holds the
other one up, and each has its own name, history and result. Both fire at the same cron time.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
)

from relance.dunning.ids import sweep_schedule_id
from relance.nightly import SweepRequest
from relance.renewal.ids import renewal_schedule_id
from workflows.dunning import DunningSweepWorkflow
from workflows.email_events import SesEventsWorkflow
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


async def _ensure(client: Client, schedule_id: str, schedule: Schedule) -> ScheduleHandle:
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
    return await _ensure(client, sweep_schedule_id(org_slug), schedule)


async def ensure_renewal_schedule(client: Client, org_slug: str, timezone: str, cron: str,
                                  task_queue: str) -> ScheduleHandle:
    """A day missed beyond the catch-up window is still caught up: the inspection sends every notice
    whose date has passed while its term has not ended (relance.renewal.terms)."""
    schedule = _nightly_schedule(RenewalInspectionWorkflow.run, f"renewal-inspection-run:{org_slug}",
                                f"Nightly renewal inspection of {org_slug}", org_slug, timezone, cron, task_queue)
    return await _ensure(client, renewal_schedule_id(org_slug), schedule)


SES_EVENTS_SCHEDULE = "ses-events"


async def ensure_ses_events_schedule(client: Client, task_queue: str, every_seconds: float) -> ScheduleHandle:
    """Drain SES's events queue every `every_seconds` (bounces, complaints, and what settles uncertain
    sends); a drain still running when the next is due is not doubled."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(SesEventsWorkflow.run, id="ses-events-run", task_queue=task_queue,
                                           static_summary="Record SES's events"),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=every_seconds))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=5)),
    )
    return await _ensure(client, SES_EVENTS_SCHEDULE, schedule)
