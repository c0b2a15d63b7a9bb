"""InvoiceDunningWorkflow: one run per invoice, id dunning:<org>:<invoice>.

It walks the scenario frozen at its start; before each email or action step it waits (a durable
timer) until the step's time, then lets an activity re-check the invoice and do the step.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.dunning import DunningActivities
    from relance.dunning.types import (
        BeginRunInput,
        DunningInput,
        ExitReason,
        FinishRunInput,
        InvoiceCheckInput,
        RunPlan,
        RunProgress,
        RunResult,
        RunStatus,
        StepInput,
    )
    from relance.nightly import SweepInput, SweepRequest, SweepResult
    from relance.scenario import timing
    from relance.scenario.plan import CancelRequest, RunState, StepOutcome, StepStatus
    from relance.temporal import search_attributes as sa
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.nightly import NIGHTLY_JOB_OPTIONS
    from workflows.versions import email_queue_of_this_run, follows, missing_search_attributes

ACTIVITY_TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
# A held or blocked step is tried again daily, and at once when the run is signalled.
RETRY_HELD_AFTER = timedelta(days=1)
# A sender still unverified after this long ends the run, recorded as such.
MAX_BLOCKED = timedelta(days=30)


async def _database_activity(method, arg, summary: str, revision: int):
    """begin_run and finish_run are short idempotent database writes: as local activities they run inside
    the workflow task, which spares the server an activity task and a workflow task each (bench/).
    Runs begun before that change replay them as the ordinary activities they were."""
    options = dict(start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary=summary)
    if follows("local-begin-finish", revision):
        return await workflow.execute_local_activity_method(method, arg, **options)
    return await workflow.execute_activity_method(method, arg, **options)


@workflow.defn
class InvoiceDunningWorkflow:
    def __init__(self) -> None:
        self._plan: RunPlan | None = None
        self._cancel: CancelRequest | None = None
        self._recheck = False
        self._state = RunState.STARTING
        self._position: int | None = None
        self._next_at: datetime | None = None
        self._exit: tuple[ExitReason, str | None] | None = None
        self._emails_sent = 0
        self._previous: timing.Progress | None = None
        self._revision = 0

    @workflow.run
    async def run(self, inp: DunningInput) -> RunResult:
        self._revision = inp.revision
        self._plan = await _database_activity(
            DunningActivities.begin_run,
            BeginRunInput(workflow.info().workflow_id, inp.org_slug, inp.invoice_number, workflow.now()),
            "Load invoice and scenario", self._revision,
        )
        identity = missing_search_attributes([
            sa.ORGANISATION.value_set(self._plan.org_slug),
            sa.INVOICE_NUMBER.value_set(self._plan.invoice_number),
            sa.CUSTOMER.value_set(self._plan.customer_ref),
        ], self._revision)
        if identity:
            workflow.upsert_search_attributes(identity)
        previous: timing.Progress | None = None
        steps_done = 0
        for index in timing.actionable_positions(self._plan):
            nominal = timing.scheduled_at(self._plan, index, previous)
            outcome = await self._run_step(index, nominal)
            if outcome.status == StepStatus.EXIT:
                return await self._finish(ExitReason(outcome.reason), outcome.detail, steps_done)
            if outcome.status == StepStatus.SKIPPED:
                continue  # a skipped step sets no pace for the next ones
            steps_done += 1
            now = workflow.now()
            previous = self._previous = timing.Progress(index, now, max(now - nominal, timedelta(0)))
        return await self._finish(ExitReason.COMPLETED, None, steps_done)

    async def _run_step(self, index: int, nominal: datetime) -> StepOutcome:
        """Wait for the step's time, then do it; a held or blocked step is retried until it can go."""
        step = self._plan.steps[index]
        blocked_since: datetime | None = None
        at = timing.send_time(self._plan, index, nominal, workflow.now())
        while True:
            self._publish(RunState.WAITING, index, at)
            exit_reason = await self._sleep_until(at, f"step {step.position}: {step.label}")
            if exit_reason is not None:
                return exit_reason
            outcome = await workflow.execute_activity_method(
                DunningActivities.execute_step,
                StepInput(workflow.info().workflow_id, self._plan.org_slug, self._plan.invoice_number,
                          self._plan.scenario_id, step.position, workflow.now()),
                task_queue=email_queue_of_this_run(self._revision),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY,
                summary=f"Step {step.position}: {step.label} ({step.kind})",
            )
            if outcome.status not in (StepStatus.HELD, StepStatus.BLOCKED):
                if outcome.status == StepStatus.DONE and step.kind == "email" and outcome.message_id:
                    self._emails_sent += 1
                return outcome
            if outcome.status == StepStatus.BLOCKED:
                blocked_since = blocked_since or workflow.now()
                if workflow.now() - blocked_since >= MAX_BLOCKED:
                    return StepOutcome(StepStatus.EXIT, ExitReason.SENDER_NOT_VERIFIED, detail=outcome.reason)
            else:
                blocked_since = None
            retry_at = workflow.now() + RETRY_HELD_AFTER
            self._publish(RunState(outcome.status), index, retry_at, outcome.reason)
            exit_reason = await self._sleep_until(retry_at, f"{outcome.status}: {outcome.reason}")
            if exit_reason is not None:
                return exit_reason
            at = timing.send_time(self._plan, index, workflow.now(), workflow.now())

    async def _sleep_until(self, moment: datetime, label: str) -> StepOutcome | None:
        """A durable wait that a cancel ends, and that an invoice or settings change interrupts to re-check."""
        while True:
            if self._cancel is not None:
                detail = f"by {self._cancel.by}: {self._cancel.reason}"
                return StepOutcome(StepStatus.EXIT, ExitReason.CANCELLED, detail=detail)
            if self._recheck:
                self._recheck = False
                check = await workflow.execute_activity_method(
                    DunningActivities.check_invoice,
                    InvoiceCheckInput(self._plan.org_slug, self._plan.invoice_number),
                    start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Re-check invoice",
                )
                if check.exit_reason is not None:
                    return StepOutcome(StepStatus.EXIT, check.exit_reason)
                if self._state in (RunState.HELD, RunState.BLOCKED):
                    return None  # settings may have changed: try the step again now
            remaining = moment - workflow.now()
            if remaining <= timedelta(0):
                return None
            try:
                await workflow.wait_condition(
                    lambda: self._cancel is not None or self._recheck,
                    timeout=remaining, timeout_summary=label,
                )
            except TimeoutError:
                return None

    async def _finish(self, reason: ExitReason, detail: str | None, steps_done: int) -> RunResult:
        self._exit = (reason, detail)
        workflow.metric_meter().create_counter("relance_runs_ended", "Dunning runs ended, by reason").add(
            1, {"reason": reason.value})
        workflow.logger.info("run ended: %s", reason.value, extra={"reason": reason.value, "detail": detail})
        self._publish(RunState.ENDED, self._position, None, f"{reason}" + (f" ({detail})" if detail else ""))
        await _database_activity(
            DunningActivities.finish_run,
            FinishRunInput(workflow.info().workflow_id, reason, detail, workflow.now()),
            f"Finish: {reason}", self._revision,
        )
        return RunResult(reason, detail, self._emails_sent, steps_done)

    def _publish(self, state: RunState, index: int | None, next_at: datetime | None, note: str | None = None) -> None:
        """Keep the query, the search attributes and the UI's current details in step."""
        changed = (state, index, next_at) != (self._state, self._position, self._next_at)
        self._state, self._position, self._next_at = state, index, next_at
        if not changed:
            return
        step = self._plan.steps[index] if index is not None else None
        step_name = f"{step.position}. {step.label}" if step else ""
        workflow.upsert_search_attributes([
            sa.STATE.value_set(state),
            sa.CURRENT_STEP.value_set(step_name),
            sa.NEXT_STEP_AT.value_set(next_at) if next_at else sa.NEXT_STEP_AT.value_unset(),
        ])
        when = ""
        if next_at is not None:
            local = timing.in_zone(next_at, self._plan.timezone)
            when = f" until **{local:%Y-%m-%d %H:%M}** ({self._plan.timezone})"
        what = {
            RunState.WAITING: f"Waiting for step **{step_name}** ({step.kind if step else ''}){when}",
            RunState.HELD: f"Held at step **{step_name}**: dunning is switched off; next check{when}",
            RunState.BLOCKED: f"Blocked at step **{step_name}**: {note}; next try{when}",
            RunState.ENDED: f"Ended: {note}",
        }.get(state, state.value)
        workflow.set_current_details(f"Invoice **{self._plan.invoice_number}** · {self._plan.scenario_name}\n\n{what}")

    @workflow.signal
    def cancel_reminders(self, request: CancelRequest) -> None:
        self._cancel = request

    @workflow.signal
    def invoice_changed(self) -> None:
        """The host application changed the invoice (payment, status, flags): re-check it now."""
        self._recheck = True

    @workflow.signal
    def settings_changed(self) -> None:
        """Dunning was switched on again or a sender verified: a held or blocked step retries now."""
        self._recheck = True

    @workflow.query
    def progress(self) -> RunProgress:
        previous = self._previous
        return RunProgress(
            plan=self._plan, index=self._position if self._state != RunState.ENDED else None, next_at=self._next_at,
            previous_position=previous.position if previous else None,
            previous_done_at=previous.done_at if previous else None,
            previous_delay_seconds=previous.delay.total_seconds() if previous else 0.0,
        )

    @workflow.query
    def status(self) -> RunStatus:
        step = self._plan.steps[self._position] if self._plan and self._position is not None else None
        reason, detail = self._exit or (None, None)
        return RunStatus(
            state=self._state, step_position=step.position if step else None, step_label=step.label if step else None,
            next_at=self._next_at, exit_reason=reason, exit_detail=detail, emails_sent=self._emails_sent,
        )


@workflow.defn
class DunningSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest) -> SweepResult:
        # "Overdue" is judged at the workflow's time, never the worker's clock.
        return await workflow.execute_activity_method(
            DunningActivities.start_overdue_runs,
            SweepInput(request.org_slug, workflow.now(), workflow.info().task_queue),
            summary=f"Start runs for the overdue invoices of {request.org_slug}",
            **NIGHTLY_JOB_OPTIONS,
        )


WORKFLOWS = [InvoiceDunningWorkflow, DunningSweepWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """The dunning domain's part of the worker."""
    acts = DunningActivities(deps.db, deps.mailer)
    return Registration(workflows=WORKFLOWS, email_activities=[acts.execute_step],
                        activities=[acts.begin_run, acts.check_invoice, acts.finish_run, acts.start_overdue_runs])
