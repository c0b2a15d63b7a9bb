"""The nightly jobs, one Schedule each per organisation: DunningSweepWorkflow and
RenewalInspectionWorkflow. Each is one activity that starts the organisation's due workflows."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.sweep import SweepActivities
    from relance.dunning import SweepInput, SweepRequest, SweepResult

SWEEP_OPTIONS = dict(
    start_to_close_timeout=timedelta(hours=2),
    heartbeat_timeout=timedelta(seconds=60),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=2)),
)


@workflow.defn
class DunningSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest) -> SweepResult:
        # "Overdue" is judged at the workflow's time, never the worker's clock.
        return await workflow.execute_activity_method(
            SweepActivities.start_overdue_runs,
            SweepInput(request.org_slug, workflow.now(), workflow.info().task_queue),
            summary=f"Start runs for the overdue invoices of {request.org_slug}",
            **SWEEP_OPTIONS,
        )


@workflow.defn
class RenewalInspectionWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest) -> SweepResult:
        # "Today" is the workflow's day in the organisation's zone, never the worker's clock.
        return await workflow.execute_activity_method(
            SweepActivities.start_due_renewal_notices,
            SweepInput(request.org_slug, workflow.now(), workflow.info().task_queue),
            summary=f"Start the renewal notices due for the contracts of {request.org_slug}",
            **SWEEP_OPTIONS,
        )
