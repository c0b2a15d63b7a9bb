"""CustomerDunningWorkflow: one per account (id dunning-customer:<org>:<account>), for organisations that
send one reminder email per customer.

Each invoice's run, at an email step, hands the step over (signal-with-start from its activity) and waits
for the answer. This workflow gathers the steps that arrive within GATHER of the first (the steps of a day
fall at the window's opening), re-checks every invoice just before the email (a paid one is dropped and
its run told so), sends one email listing the rest under the ledger key of the customer and the day, and
answers each run with the email's outcome. At most one email per customer and day: steps arriving after
the day's email wait for the next day's. Exactly once: the batch is frozen in this workflow's history
before the send, the send is the one send path keyed by customer and day (a retried or replayed attempt
finds the key taken and answers the first outcome), and each invoice's row is keyed as its step's email.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.dunning_customer import CustomerDunningActivities
    from relance.dunning.customer import (
        BatchInput,
        CustomerInput,
        GroupedAnswer,
        GroupedStep,
        SendBatchInput,
    )
    from relance.scenario.plan import StepOutcome, StepStatus
    from relance.temporal.queues import email_queue
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.sending import SEND_HEARTBEAT, SEND_RETRY, SEND_TIMEOUT, until_settled

# How long after the first step of a day the email goes: the other invoices' steps of that moment
# arrive meanwhile (their runs wake at the same window opening).
GATHER = timedelta(minutes=15)
# A customer with nothing to send for this long ends its workflow; the next step starts a new one.
IDLE = timedelta(days=3)
SENT_DAYS_KEPT = 7
CHECK = dict(start_to_close_timeout=timedelta(seconds=60),
             retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5)))


@workflow.defn
class CustomerDunningWorkflow:
    def __init__(self) -> None:
        self._pending: list[GroupedStep] = []
        self._sent_days: list[str] = []
        self._emails = 0

    @workflow.signal
    def step_due(self, step: GroupedStep) -> None:
        """An invoice's email step is due: it goes in this customer's next email (once, however often told)."""
        if not any((p.invoice_workflow_id, p.position) == (step.invoice_workflow_id, step.position)
                   for p in self._pending):
            self._pending.append(step)

    @workflow.run
    async def run(self, inp: CustomerInput) -> int:
        for step in inp.pending:
            self.step_due(step)
        self._sent_days = list(inp.sent_days)
        while True:
            try:
                await workflow.wait_condition(lambda: bool(self._pending), timeout=IDLE,
                                              timeout_summary="no reminder due for this customer")
            except TimeoutError:
                return self._emails
            await workflow.sleep(GATHER, summary="gather the customer's reminders of the moment")
            await self._one_email(inp)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(CustomerInput(inp.org_slug, inp.account_ref, self._pending,
                                                       self._sent_days))

    async def _one_email(self, inp: CustomerInput) -> None:
        steps, self._pending = self._pending, []
        batch = await workflow.execute_activity_method(
            CustomerDunningActivities.check_batch, BatchInput(inp.org_slug, inp.account_ref, steps, workflow.now()),
            summary=f"Re-check {len(steps)} invoice(s)", **CHECK)
        if batch.day in self._sent_days:  # the day's email went: these go in the next day's
            self._pending = steps + self._pending
            await workflow.sleep(batch.next_day_at - workflow.now(), summary="one email a day: next day's email")
            return
        keep = []
        for checked in batch.checked:
            if checked.settled:
                continue  # its run had its answer with the email that carried it
            if checked.exit_reason is not None:
                await self._answer(checked.step, StepOutcome(StepStatus.EXIT, checked.exit_reason))
            elif checked.held is not None:
                await self._answer(checked.step, StepOutcome(StepStatus.HELD, checked.held))
            else:
                keep.append(checked.step)
        if not keep:
            return  # every invoice was paid (or its run ended): nothing goes
        outcome = await until_settled(lambda resolving: self._send(inp, batch.day, keep, resolving),
                                      "Customer email", True)
        if outcome.status == StepStatus.DONE:  # the day's key is taken (sent, or settled not sent)
            self._sent_days = [*self._sent_days, batch.day][-SENT_DAYS_KEPT:]
            self._emails += 1 if outcome.message_id else 0
        for step in keep:
            await self._answer(step, outcome)

    async def _send(self, inp: CustomerInput, day: str, steps: list[GroupedStep], resolving: bool) -> StepOutcome:
        return await workflow.execute_activity_method(
            CustomerDunningActivities.send_batch,
            SendBatchInput(workflow.info().workflow_id, inp.org_slug, inp.account_ref, day, steps, workflow.now(),
                           resolving),
            task_queue=email_queue(workflow.info().task_queue),
            summary=f"One email for {len(steps)} invoice(s)" + (" - settle uncertain send" if resolving else ""),
            start_to_close_timeout=SEND_TIMEOUT, heartbeat_timeout=SEND_HEARTBEAT, retry_policy=SEND_RETRY)

    async def _answer(self, step: GroupedStep, outcome: StepOutcome) -> None:
        """Tell the invoice's run; a run that has ended meanwhile (cancelled) has nothing to hear."""
        try:
            await workflow.get_external_workflow_handle(step.invoice_workflow_id).signal(
                "customer_email_done", GroupedAnswer(step.position, outcome))
        except Exception as exc:  # noqa: BLE001  (the run is gone: its end is recorded already)
            workflow.logger.warning("run %s not told: %s", step.invoice_workflow_id, exc)

    @workflow.query
    def pending(self) -> list[GroupedStep]:
        return self._pending


WORKFLOWS = [CustomerDunningWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """Per-customer dunning's part of the worker."""
    acts = CustomerDunningActivities(deps.db, deps.mailer, deps.webhooks)
    return Registration(workflows=WORKFLOWS, activities=[acts.check_batch], email_activities=[acts.send_batch])
