"""InvoiceDunningWorkflow: one run per invoice, id dunning:<org>:<invoice>.

It walks the scenario frozen at its start with the shared ScenarioWalk (workflows/scenario_walk.py):
before each email or action step it waits (a durable timer) until the step's time, then lets an
activity re-check the invoice and do the step. The nightly DunningSweepWorkflow starts the runs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.dunning import DunningActivities
    from relance import calendar
    from relance.dunning import pausing
    from relance.dunning.customer import GroupedAnswer
    from relance.dunning.types import (
        BeginRunInput,
        DunningInput,
        ExitReason,
        FinishRunInput,
        InvoiceCheckInput,
        PauseAnswer,
        PauseInput,
        PauseRequest,
        ResumeRequest,
        RunPlan,
        RunProgress,
        RunResult,
        SendNowInput,
        SignalRefusedInput,
        StepInput,
    )
    from relance.nightly import SweepRequest, SweepResult
    from relance.scenario.plan import (
        MAX_CANCEL_TEXT,
        PlannedStep,
        RunState,
        StepOutcome,
        StepStatus,
        WalkExit,
        WalkStatus,
        cancel_request_from,
    )
    from relance.scenario.timing import Progress
    from relance.temporal import search_attributes as sa
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.nightly import PagedJob, run_nightly_job
    from workflows.scenario_walk import DurableClock, ScenarioWalk, walk_status
    from workflows.sending import send_options, until_settled
    from workflows.versions import email_queue_of_this_run, follows, missing_search_attributes, step_numbering

ACTIVITY_TIMEOUT = timedelta(seconds=60)
# How long the `cancel` update waits for the run to end before answering that it will stop before its
# next step (a step being sent is not interrupted).
CANCEL_ANSWER_WAIT = timedelta(seconds=20)
# The patch of runs whose email steps may go in their customer's one email of the day.
CUSTOMER_EMAIL = "customer-grouped-email"
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
# The states in which a step is waited for (or retried), and may be asked to go now.
WAITS_FOR_A_STEP = (RunState.WAITING, RunState.HELD, RunState.BLOCKED)


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
        self._clock = DurableClock(recheck=self._check_invoice, pause_ended=self._pause_ran_out)
        self._walk: ScenarioWalk | None = None
        self._exit: tuple[ExitReason, str | None] | None = None
        self._revision = 0
        self._refused: list[str] = []
        self._sent_now = 0  # steps someone asked to go now
        self._answers: dict[int, StepOutcome] = {}  # the customer's workflow's, by step position
        self._pauses = 0  # pauses and their ends, numbered for their timeline rows

    @workflow.run
    async def run(self, inp: DunningInput) -> RunResult:
        self._revision = inp.revision
        self._plan = plan = await _database_activity(
            DunningActivities.begin_run,
            BeginRunInput(workflow.info().workflow_id, inp.org_slug, inp.invoice_number, workflow.now(),
                          inp.requested_by, inp.life),
            "Load invoice and scenario", self._revision,
        )
        identity = missing_search_attributes([
            sa.ORGANISATION.value_set(plan.org_slug),
            sa.INVOICE_NUMBER.value_set(plan.invoice_number),
            sa.CUSTOMER.value_set(plan.customer_ref),
        ], self._revision)
        if identity:
            workflow.upsert_search_attributes(identity)
        self._walk = ScenarioWalk(plan, self._do_step, self._clock,
                                  headline=f"Invoice **{plan.invoice_number}** · {plan.scenario_name}"
                                  + (f" (chosen by {plan.scenario_choice})" if plan.scenario_choice else ""),
                                  first_number=step_numbering(self._revision), **_resumed(plan))
        end = await self._walk.walk()
        return await self._finish(ExitReason(end.reason), end.detail, end.steps_done)

    async def _do_step(self, index: int, step: PlannedStep) -> StepOutcome:
        """Re-check the invoice, then send the email or create the task (one activity). An email left
        uncertain is settled after the reconciliation window, by SES's record of it (confirmed, or sent
        again when SES never had it)."""
        return await until_settled(lambda resolving: self._execute_step(index, step, resolving),
                                   f"Step {self._walk.step_name(index)}", follows("settle-uncertain", self._revision))

    async def _execute_step(self, index: int, step: PlannedStep, resolving: bool) -> StepOutcome:
        plan = self._plan
        # Runs from this change on, of an organisation sending one email per customer, may send their
        # email in their customer's email of the day (other runs record no patch marker).
        grouping = step.kind == "email" and plan.one_email_per_customer and workflow.patched(CUSTOMER_EMAIL)
        outcome = await workflow.execute_activity_method(
            DunningActivities.execute_step,
            StepInput(workflow.info().workflow_id, plan.org_slug, plan.invoice_number, plan.scenario_id,
                      step.position, workflow.now(), resolving, workflow.info().task_queue if grouping else None,
                      plan.life),
            task_queue=email_queue_of_this_run(self._revision),
            # Fixed when scheduled, so it says what the activity will do whatever the step turns out
            # to be; what it did is in the result and the run's current details.
            summary=f"Check the invoice, then step {self._walk.step_name(index)} ({step.kind})"
                    + (" - settle uncertain send" if resolving else ""),
            **send_options(self._revision),
        )
        if outcome.grouped_in is None:
            return outcome
        return await self._customer_answer(step.position)

    async def _customer_answer(self, position: int) -> StepOutcome:
        """The step went to the customer's workflow: its answer is the step's outcome (sent in the day's
        email, dropped as paid, held). A cancel meanwhile ends the run."""
        await workflow.wait_condition(lambda: position in self._answers or self._clock.cancel_request is not None)
        if position not in self._answers:
            request = self._clock.cancel_request
            return StepOutcome(StepStatus.EXIT, WalkExit.CANCELLED, detail=f"by {request.by}: {request.reason}")
        return self._answers.pop(position)

    @workflow.signal
    def customer_email_done(self, answer: GroupedAnswer) -> None:
        """The customer's workflow settled this run's step (workflows/dunning_customer.py)."""
        self._answers[answer.position] = answer.outcome

    async def _check_invoice(self) -> ExitReason | None:
        """The host said the invoice changed: a payment ends the run now, not at its next step."""
        check = await workflow.execute_activity_method(
            DunningActivities.check_invoice, InvoiceCheckInput(self._plan.org_slug, self._plan.invoice_number),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Re-check invoice",
        )
        return check.exit_reason

    async def _finish(self, reason: ExitReason, detail: str | None, steps_done: int) -> RunResult:
        self._exit = (reason, detail)
        workflow.metric_meter().create_counter("relance_runs_ended", "Dunning runs ended, by reason").add(
            1, {"reason": reason.value})
        workflow.logger.info("run ended: %s", reason.value, extra={"reason": reason.value, "detail": detail})
        self._walk.ended(f"{reason}" + (f" ({detail})" if detail else ""),
                         reason.value if follows("ended-truthfully", self._revision) else None)
        await _database_activity(
            DunningActivities.finish_run,
            FinishRunInput(workflow.info().workflow_id, reason, detail, workflow.now(), self._plan.life),
            f"Finish: {reason}", self._revision,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)  # a refusal still being recorded
        return RunResult(reason, detail, self._walk.emails_sent, steps_done)

    @workflow.signal
    async def cancel_reminders(self, *args: Any) -> None:
        """Anyone may send it (`temporal workflow signal` too), so the payload is checked here, not by
        the converter (which would drop a malformed one, or fail every workflow task without one): a
        cancel naming a reason cancels; anything else is refused, recorded, and the run carries on."""
        try:
            self._clock.cancel_request = cancel_request_from(args)
        except ValueError as exc:
            await self._refuse("cancel_reminders", str(exc))

    @workflow.update
    async def cancel(self, *args: Any) -> str:
        """The cancel that answers: refused with the reason (validator), else the run's exit reason once it
        has ended, or "stopping" when a step in flight keeps it a little longer."""
        self._clock.cancel_request = cancel_request_from(args)
        try:
            await workflow.wait_condition(lambda: self._exit is not None, timeout=CANCEL_ANSWER_WAIT)
        except TimeoutError:
            return "stopping"
        return self._exit[0].value

    @cancel.validator
    def _cancel_is_well_formed(self, *args: Any) -> None:
        cancel_request_from(args)

    async def _refuse(self, signal: str, problem: str) -> None:
        workflow.logger.warning("signal %s refused: %s", signal, problem, extra={"signal": signal})
        self._refused.append(f"{signal}: {problem}")
        number = len(self._refused)
        if self._walk is not None:
            self._walk.refused(self._refused[-1])
        if not follows("signal-refusals", self._revision):
            return
        await workflow.wait_condition(lambda: self._plan is not None)  # its row exists from begin_run on
        await workflow.execute_local_activity_method(
            DunningActivities.record_signal_refused,
            SignalRefusedInput(workflow.info().workflow_id, signal, problem, number, workflow.now(), self._plan.life),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary=f"Refused {signal}",
        )

    @workflow.update
    async def send_now(self, by: str) -> WalkStatus:
        """The step waited for goes now, its pause cut short (the steps after keep their spacing from now);
        recorded on the timeline with who asked. Answers the run's status once the step was tried, or
        after CANCEL_ANSWER_WAIT when it is still going."""
        walk = self._walk
        self._sent_now += 1
        await workflow.execute_local_activity_method(
            DunningActivities.record_send_now,
            SendNowInput(workflow.info().workflow_id, walk.position, by.strip(), self._sent_now, workflow.now(),
                         self._plan.life),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary=f"Send now, asked by {by.strip()}")
        tried = walk.attempts
        if not self._clock.waiting:
            return self.status()  # the step's time came meanwhile: it is going anyway
        self._clock.go_now = True
        try:
            await workflow.wait_condition(lambda: walk.attempts > tried or self._exit is not None,
                                          timeout=CANCEL_ANSWER_WAIT)
        except TimeoutError:
            pass
        return self.status()

    @send_now.validator
    def _can_send_now(self, by: str) -> None:
        if not isinstance(by, str) or not by.strip() or len(by) > MAX_CANCEL_TEXT:
            raise ValueError(f"field by: who asks, as text of 1 to {MAX_CANCEL_TEXT} characters")
        if self._walk is None or self._exit is not None or self._walk.state not in WAITS_FOR_A_STEP:
            state = self._walk.state if self._walk else RunState.STARTING
            raise ValueError(f"the run is {state}: no step is waiting to go")
        if not self._clock.waiting:
            raise ValueError(f"step {self._walk.step_name(self._walk.position)} is going now")
        if self._clock.go_now:
            raise ValueError("a step was already asked to go now")

    @workflow.update
    async def pause(self, request: PauseRequest) -> PauseAnswer:
        """Pause until a date (a promise to pay, a dispute): the step waited for goes when it ends (its own
        time if later), the steps after keep their spacing; a payment meanwhile ends the run as paid.
        Answers when the pause ends and when the step then goes."""
        walk, plan = self._walk, self._plan
        until = pausing.pause_end(date.fromisoformat(request.until), plan.timezone)
        answer = PauseAnswer(until, walk.resumes_at(walk.position, until))
        note = pausing.described(request)
        await self._record_pause("paused", note)
        self._clock.pause_note, self._clock.paused_until = note, until
        return answer

    @pause.validator
    def _can_pause(self, request: PauseRequest) -> None:
        self._running("pause")
        pausing.checked_until(request, calendar.local_today(workflow.now(), self._plan.timezone))

    @workflow.update
    async def resume(self, request: ResumeRequest) -> WalkStatus:
        """End the pause now (a dispute resolved): the step waited for goes now, or at its own time if later."""
        await self._record_pause("resumed", f"by {request.by.strip()}" + (
            f": {request.note.strip()}" if request.note.strip() else ""))
        self._clock.paused_until = None
        await workflow.wait_condition(lambda: self._walk.state != RunState.PAUSED)
        return self.status()

    @resume.validator
    def _can_resume(self, request: ResumeRequest) -> None:
        self._running("resume")
        if not isinstance(request.by, str) or not request.by.strip() or len(request.by) > MAX_CANCEL_TEXT:
            raise ValueError(f"field by: who asks, as text of 1 to {MAX_CANCEL_TEXT} characters")
        if not isinstance(request.note, str) or len(request.note) > MAX_CANCEL_TEXT:
            raise ValueError(f"field note: text of at most {MAX_CANCEL_TEXT} characters")
        if self._clock.paused_until is None:
            raise ValueError(f"the run is {self._walk.state}, not paused: nothing to resume")

    def _running(self, what: str) -> None:
        if self._walk is None or self._exit is not None or self._walk.state in (RunState.STARTING, RunState.ENDED):
            state = self._walk.state if self._walk and self._exit is None else RunState.ENDED if self._exit else \
                RunState.STARTING
            raise ValueError(f"the run is {state}: nothing to {what}")

    async def _pause_ran_out(self) -> None:
        await self._record_pause("resumed", "the pause reached its date")

    async def _record_pause(self, outcome: str, reason: str) -> None:
        self._pauses += 1
        step = self._plan.steps[self._walk.position]
        await workflow.execute_local_activity_method(
            DunningActivities.record_pause,
            PauseInput(workflow.info().workflow_id, step.position, outcome, reason, self._pauses, workflow.now(),
                       self._plan.life),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary=f"{outcome}: {reason}"[:200])

    @workflow.signal
    def invoice_changed(self) -> None:
        """The host application changed the invoice (payment, status, flags): re-check it now."""
        self._clock.recheck_requested = True

    @workflow.signal
    def settings_changed(self) -> None:
        """Dunning was switched on again or a sender verified: a held or blocked step retries now."""
        self._clock.recheck_requested = True

    @workflow.query
    def progress(self) -> RunProgress:
        walk = self._walk
        previous = walk.previous if walk else None
        return RunProgress(
            plan=self._plan, index=walk.position if walk and walk.state != RunState.ENDED else None,
            next_at=walk.next_at if walk else None,
            previous_position=previous.position if previous else None,
            previous_done_at=previous.done_at if previous else None,
            previous_ideal_at=previous.ideal_at if previous else None,
        )

    @workflow.query
    def status(self) -> WalkStatus:
        return walk_status(self._walk, self._exit, self._refused)


def _resumed(plan: RunPlan) -> dict:
    """A later life of the run walks on after the steps its earlier lives settled, spaced from the last
    email or action they did (relance.dunning.types.Resume)."""
    resume = plan.resume
    if resume is None:
        return {}
    index_of = {step.position: index for index, step in enumerate(plan.steps)}
    paced = index_of.get(resume.paced_position)
    return {"resume_after": index_of.get(resume.after_position, -1),
            "previous": Progress(paced, resume.paced_at, resume.paced_at) if paced is not None else None}


@workflow.defn
class DunningSweepWorkflow:
    def __init__(self) -> None:
        self._job = PagedJob()

    @workflow.run
    async def run(self, request: SweepRequest) -> SweepResult:
        """The invoices that should have a run and have none: overdue ones, and every open one when the
        organisation applies dunning to new invoices (an interrupted import left them without)."""
        summary = f"invoices of {request.org_slug} without their run"
        if not workflow.patched("sweep-pages"):  # sweeps begun before: one activity, as recorded
            return await run_nightly_job(DunningActivities.start_overdue_runs, request, f"Start runs for the {summary}")
        return await self._job.run(DunningActivities.read_page_without_run, DunningActivities.start_runs, request,
                                   summary)

    @workflow.query
    def progress(self) -> SweepResult:
        return self._job.result


WORKFLOWS = [InvoiceDunningWorkflow, DunningSweepWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """The dunning domain's part of the worker."""
    acts = DunningActivities(deps.db, deps.mailer, deps.webhooks)
    return Registration(workflows=WORKFLOWS, email_activities=[acts.execute_step],
                        activities=[acts.begin_run, acts.check_invoice, acts.finish_run, acts.start_overdue_runs,
                                    acts.read_page_without_run, acts.start_runs, acts.record_signal_refused,
                                    acts.record_send_now, acts.record_pause])
