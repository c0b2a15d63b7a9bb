"""What every nightly job (one Schedule per organisation and job) shares: its activity's options.
The job is one long activity that pages through rows and heartbeats, so a retry resumes after the last
row done."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from relance.nightly import SweepInput, SweepRequest, SweepResult

NIGHTLY_JOB_OPTIONS = dict(
    start_to_close_timeout=timedelta(hours=2),
    heartbeat_timeout=timedelta(seconds=60),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=2)),
)


async def run_nightly_job(activity_method, request: SweepRequest, summary: str) -> SweepResult:
    """The job's one activity, given the workflow's time: "overdue" and "today" are judged at it,
    never at the worker's clock."""
    return await workflow.execute_activity_method(
        activity_method, SweepInput(request.org_slug, workflow.now(), workflow.info().task_queue),
        summary=summary, **NIGHTLY_JOB_OPTIONS)
