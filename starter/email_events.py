"""Starting the one long-lived drain of SES's events (workflows/email_events.py), idempotently: `relance
up` and `relance admin setup` call it at every start."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from workflows.email_events import DRAIN_ID, DrainLoop, SesEventsDrainWorkflow

# Deployments set up before the drain became one run had a Schedule starting a run a minute.
FORMER_SCHEDULE = "ses-events"


async def ensure_ses_events_drain(client: Client, task_queue: str, every_seconds: float) -> WorkflowHandle:
    """Start the drain unless it runs; a running one takes `every_seconds` after its current pause."""
    await _delete_former_schedule(client)
    handle = await client.start_workflow(
        SesEventsDrainWorkflow.run, DrainLoop(every_seconds), id=DRAIN_ID, task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, static_summary="Record SES's events")
    await handle.signal(SesEventsDrainWorkflow.change_interval, every_seconds)
    return handle


async def _delete_former_schedule(client: Client) -> None:
    try:
        await client.get_schedule_handle(FORMER_SCHEDULE).delete()
    except RPCError as err:
        if err.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.UNIMPLEMENTED):  # none, or no Schedules
            raise
