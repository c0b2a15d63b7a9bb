"""RenewalNoticeWorkflow: one per contract and term, id renewal:<org>:<contract>:<term end>.

The nightly inspection starts it on the notice date (or on the first day after, when a day was
missed). It waits for the organisation's send window, then lets an activity re-check the contract
and send the notice. An unverified sender does not lose the notice: it is tried again daily (or at
once on `settings_changed`) until the term ends.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.renewal import RenewalActivities
    from relance import calendar
    from relance.nightly import SweepRequest, SweepResult
    from relance.renewal.types import (
        FinishNoticeInput,
        NoticeAttempt,
        NoticeInput,
        NoticeOutcome,
        NoticePlan,
        NoticeReason,
        NoticeResult,
        NoticeStatus,
        RenewalInput,
    )
    from relance.scenario.plan import CancelRequest, RunState, cancel_request_from
    from relance.temporal import search_attributes as sa
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.nightly import run_nightly_job
    from workflows.sending import send_options
    from workflows.versions import email_queue_of_this_run, follows, missing_search_attributes

ACTIVITY_TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
RETRY_BLOCKED_AFTER = timedelta(days=1)
CANCEL_ANSWER_WAIT = timedelta(seconds=20)  # as the dunning run's `cancel` update


@workflow.defn
class RenewalNoticeWorkflow:
    def __init__(self) -> None:
        self._plan: NoticePlan | None = None
        self._cancel: CancelRequest | None = None
        self._retry_now = False
        self._state = RunState.STARTING
        self._send_at: datetime | None = None
        self._note: str | None = None
        self._result: NoticeResult | None = None
        self._revision = 0
        self._refused: list[str] = []
        self._details = ""

    @workflow.run
    async def run(self, inp: RenewalInput) -> NoticeResult:
        workflow_id = workflow.info().workflow_id
        self._revision = inp.revision
        self._plan = plan = await workflow.execute_activity_method(
            RenewalActivities.begin_notice,
            NoticeInput(workflow_id, inp.org_slug, inp.contract_ref, inp.term_end, workflow.now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Record the notice",
        )
        identity = missing_search_attributes([
            sa.ORGANISATION.value_set(plan.org_slug),
            sa.CONTRACT.value_set(plan.contract_ref),
            sa.CUSTOMER.value_set(plan.customer_ref),
        ], inp.revision)
        if identity:
            workflow.upsert_search_attributes(identity)
        term_over = calendar.at_local(plan.term_end, time(0), plan.timezone)
        state, send_at = RunState.WAITING, self._window(workflow.now())
        while True:
            self._publish(state, send_at)
            if not await self._wait_until(send_at):
                detail = f"by {self._cancel.by}: {self._cancel.reason}"
                return await self._finish(NoticeAttempt(NoticeOutcome.CANCELLED, NoticeReason.CANCELLED, detail))
            if state == RunState.BLOCKED:  # the retry time came, or settings_changed: at the next window moment
                state, send_at = RunState.WAITING, self._window(workflow.now())
                continue
            attempt = await self._send(inp, resolving=False)
            while attempt.resolve_after is not None and follows("settle-uncertain", inp.revision):
                await workflow.sleep(timedelta(seconds=attempt.resolve_after),
                                     summary="Delivery uncertain: waiting for SES's events")
                attempt = await self._send(inp, resolving=True)
            self._retry_now = False
            if attempt.outcome is not None:
                return await self._finish(attempt)
            # Blocked by an unverified sender: tried again daily while the term runs.
            send_at = self._window(workflow.now() + RETRY_BLOCKED_AFTER)
            if send_at >= term_over:
                detail = f"{attempt.detail}; the term ended before it was fixed"
                return await self._finish(NoticeAttempt(NoticeOutcome.NOT_SENT, attempt.reason, detail))
            state, self._note = RunState.BLOCKED, attempt.detail

    async def _send(self, inp, resolving: bool) -> NoticeAttempt:
        plan = self._plan
        return await workflow.execute_activity_method(
            RenewalActivities.send_notice,
            NoticeInput(workflow.info().workflow_id, plan.org_slug, plan.contract_ref, plan.term_end, workflow.now(),
                        resolving),
            task_queue=email_queue_of_this_run(inp.revision),
            summary=f"Send the renewal notice of {plan.contract_ref}" + (" - settle uncertain send" if resolving
                                                                           else ""),
            **send_options(inp.revision),
        )

    def _window(self, moment: datetime) -> datetime:
        return calendar.next_opening(moment, self._plan.opening(), self._plan.timezone)

    async def _wait_until(self, moment: datetime) -> bool:
        """A durable wait that a cancel ends, and that settings_changed cuts short while blocked.
        False when the notice was cancelled."""
        remaining = moment - workflow.now()
        if remaining > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: self._cancel is not None or (self._retry_now and self._state == RunState.BLOCKED),
                    timeout=remaining,
                    timeout_summary=f"{self._state} until "
                                    f"{calendar.in_zone(moment, self._plan.timezone):%Y-%m-%d %H:%M}",
                )
            except TimeoutError:
                pass
        return self._cancel is None

    async def _finish(self, attempt: NoticeAttempt) -> NoticeResult:
        self._result = NoticeResult(attempt.outcome, attempt.reason, attempt.detail, attempt.recipient,
                                    attempt.message_id)
        self._note = attempt.outcome + (f": {attempt.reason}" if attempt.reason not in (None, attempt.outcome) else "")
        self._note += f" → {attempt.recipient}" if attempt.recipient else ""
        exit_reason = (attempt.reason or attempt.outcome) if follows("ended-truthfully", self._revision) else None
        self._publish(RunState.ENDED, None, exit_reason)
        await workflow.execute_activity_method(
            RenewalActivities.finish_notice,
            FinishNoticeInput(workflow.info().workflow_id, attempt.outcome, attempt.reason, attempt.detail,
                              workflow.now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary=f"Finish: {attempt.outcome}",
        )
        return self._result

    def _publish(self, state: RunState, send_at: datetime | None, exit_reason: str | None = None) -> None:
        """Keep the query, the search attributes and the UI's current details in step; an ended notice
        (revision 3 on) shows why it ended (RelanceExitReason: sent, no_recipient, cancelled, ...)."""
        self._state, self._send_at = state, send_at
        workflow.upsert_search_attributes([
            sa.STATE.value_set(state),
            sa.NEXT_STEP_AT.value_set(send_at) if send_at else sa.NEXT_STEP_AT.value_unset(),
            *([sa.EXIT_REASON.value_set(exit_reason)] if exit_reason else []),
        ])
        plan = self._plan
        when = ""
        if send_at is not None:
            when = f" **{calendar.in_zone(send_at, plan.timezone):%Y-%m-%d %H:%M}** ({plan.timezone})"
        what = {
            RunState.WAITING: f"Waiting for the send window: sends at{when}",
            RunState.BLOCKED: f"Blocked: {self._note}; next try at{when}",
            RunState.ENDED: f"Ended: {self._note}",
        }[state]
        self._details = f"Renewal notice of contract **{plan.contract_ref}** for the term ending **{plan.term_end}**" \
                        f"\n\n{what}"
        self._show()

    def _show(self) -> None:
        """The UI's current details (not a command: refreshed freely)."""
        refused = "".join(f"\n\nRefused: {note}" for note in self._refused[-3:])
        workflow.set_current_details(self._details + refused)

    @workflow.signal
    def cancel_notice(self, *args: Any) -> None:
        """Checked here, not by the converter (see the dunning run's cancel_reminders): a malformed cancel
        is refused where the UI and `relance renewal show` see it (current details, status), and the
        notice carries on."""
        try:
            self._cancel = cancel_request_from(args)
        except ValueError as exc:
            workflow.logger.warning("signal cancel_notice refused: %s", exc, extra={"signal": "cancel_notice"})
            self._refused.append(f"cancel_notice: {exc}")
            self._show()

    @workflow.update
    async def cancel(self, *args: Any) -> str:
        """The cancel that answers: refused with the reason (validator), else the notice's outcome."""
        self._cancel = cancel_request_from(args)
        try:
            await workflow.wait_condition(lambda: self._result is not None, timeout=CANCEL_ANSWER_WAIT)
        except TimeoutError:
            return "stopping"
        return self._result.outcome

    @cancel.validator
    def _cancel_is_well_formed(self, *args: Any) -> None:
        cancel_request_from(args)

    @workflow.signal
    def settings_changed(self) -> None:
        """A sender was verified or the settings changed: a blocked notice tries again now."""
        self._retry_now = True

    @workflow.query
    def status(self) -> NoticeStatus:
        result = self._result
        return NoticeStatus(self._state, self._send_at, result.outcome if result else None,
                            result.reason if result else None, result.detail if result else None,
                            list(self._refused))


@workflow.defn
class RenewalInspectionWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest) -> SweepResult:
        return await run_nightly_job(RenewalActivities.start_due_renewal_notices, request,
                                     f"Start the renewal notices due for the contracts of {request.org_slug}")


WORKFLOWS = [RenewalNoticeWorkflow, RenewalInspectionWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """The renewal domain's part of the worker."""
    acts = RenewalActivities(deps.db, deps.mailer, deps.webhooks)
    return Registration(workflows=WORKFLOWS, email_activities=[acts.send_notice],
                        activities=[acts.begin_notice, acts.finish_notice, acts.start_due_renewal_notices])
