"""OpportunityWorkflow: one durable entity per opportunity, id opportunity:<org>:<ref>.

The host's events arrive by update-with-start (`report`, starter.pipeline), are queued in the order
received and handled strictly one after another: an activity applies the event (dedupe in the
database, transitions derived from the state relance knew, the rules as they were when it was
reported), then each planned automation runs in order, each an activity whose side effect happens at
most once. A failure no retry cures is recorded (timeline, webhook, search attribute) and the next
automations still run; `retry` runs a failed one again. An action an automation creates is an event of
its own, carrying its cause: loops are stopped when the event is applied. The last event ids and the
queue survive continue-as-new.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.host_call import HostCallActivities
    from activities.pipeline import PERMANENT, PipelineActivities
    from relance.outbound import Allowlist
    from relance.pipeline.types import (
        ApplyInput,
        AutomationInput,
        AutomationState,
        EventAck,
        EventKind,
        FailureInput,
        Moment,
        OppEvent,
        OpportunityInput,
        OpportunityStatus,
        PendingRetry,
        PlannedAutomation,
        ResumeInput,
        RetryRequest,
        Waiting,
    )
    from relance.sealing import Sealer
    from relance.temporal import search_attributes as sa
    from relance.temporal.queues import email_queue
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.host_call import HostCallWorkflow

# Time triggers (issue 26): the wait for work also waits for the next moment (a timer).
TIME_TRIGGERS_PATCH = "pipeline-time-triggers"
# Event ids remembered in the workflow (older ones are caught by the database's unique key).
SEEN_IDS = 1000
ACTIVITY_TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# One automation is one transaction or one SES send (throttling waits heartbeat): a worker that dies
# mid-automation is noticed this soon, and the automation retried on another.
AUTOMATION_TIMEOUT = timedelta(seconds=20)
# An automation is retried with backoff, then recorded failed (it can be retried by hand).
AUTOMATION_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                               maximum_interval=timedelta(minutes=5), maximum_attempts=8,
                               non_retryable_error_types=[PERMANENT])


@workflow.defn
class OpportunityWorkflow:
    @workflow.init
    def __init__(self, inp: OpportunityInput) -> None:
        self._inp = inp
        self._seen: deque[str] = deque(inp.seen, maxlen=SEEN_IDS)
        self._queue: list[OppEvent] = list(inp.pending)
        self._failed: dict[str, PlannedAutomation] = {a.idem_key: a for a in inp.failed}
        self._retries: list[PendingRetry] = []
        self._done: dict[str, EventAck] = {}  # acks of the events a caller waits for
        self._handled = 0
        self._stage = self._result = ""
        self._busy = False
        self._current: str | None = None  # the event being handled (out of the queue, not yet seen)
        self._moments: list[Moment] = list(inp.moments)  # the time triggers pending, soonest first
        self._waits: list[Waiting] = list(inp.waits)  # the waits inside rules in flight
        self._resumes: list[Waiting] = []  # those whose end came: the rule goes on, in turn with the events

    @workflow.run
    async def run(self, inp: OpportunityInput) -> None:
        while True:
            ready = lambda: bool(self._queue or self._retries or self._resumes) or self._should_continue()  # noqa: E731
            if workflow.patched(TIME_TRIGGERS_PATCH):
                await self._wait_for_work_or_moment(ready)
            else:
                await workflow.wait_condition(ready)
            if not ready():
                continue
            self._busy = True
            if self._retries:
                await self._retry(self._retries.pop(0))
            elif self._resumes:
                await self._resume(self._resumes.pop(0))
            elif self._queue:
                await self._handle(self._queue.pop(0))
            self._busy = bool(self._queue or self._retries or self._resumes)
            # Never with an event a caller waits for still queued: its handler must answer in this run.
            if self._should_continue() and not self._retries and not any(e.wait for e in self._queue):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(OpportunityInput(
                    inp.org_slug, inp.opportunity_ref, list(self._seen), list(self._queue),
                    list(self._failed.values()), inp.events_per_run, inp.revision, self._moments,
                    self._resumes + self._waits))

    async def _wait_for_work_or_moment(self, ready) -> None:
        """Wait for an event, a retry, the next time trigger's moment (a timer, moved or cancelled when an
        event changes the opportunity) or a wait's end; a moment due is queued as an event of its own, a wait
        ended goes on in turn with the events."""
        timers = [(m.due, f"time trigger: {m.label}") for m in self._moments] + \
                 [(w.due, f"wait of {w.wait.rule_key} v{w.wait.rule_version}") for w in self._waits]
        if timers:
            due, summary = min(timers, key=lambda t: t[0])
            left = (due - workflow.now()).total_seconds()
            if left > 0:
                try:
                    await workflow.wait_condition(ready, timeout=left, timeout_summary=summary[:200])
                except TimeoutError:
                    pass
        else:
            await workflow.wait_condition(ready)
        now = workflow.now()
        due_moments = [m for m in self._moments if m.due <= now]
        self._moments = [m for m in self._moments if m.due > now]
        self._queue += [OppEvent(m.event_id, EventKind.TIME, m.changes) for m in due_moments
                        if not self._known(m.event_id)]
        self._resumes += [w for w in self._waits if w.due <= now]
        self._waits = [w for w in self._waits if w.due > now]

    def _should_continue(self) -> bool:
        return self._handled >= self._inp.events_per_run or workflow.info().is_continue_as_new_suggested()

    async def _handle(self, event: OppEvent) -> None:
        inp = self._inp
        self._current = event.event_id
        ack = EventAck(event.event_id, "handled")
        try:
            # Local: one short transaction, no round trip through the server's queue (bench/pipeline.py).
            plan = await workflow.execute_local_activity_method(
                PipelineActivities.apply_event, ApplyInput(inp.org_slug, inp.opportunity_ref, event, workflow.now()),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary=f"Apply {event.event_id}")
        except ActivityError as exc:  # the opportunity is gone: nothing to apply it to
            self._finish(event, EventAck(event.event_id, "refused", [str(exc.cause or exc)]))
            return
        self._stage, self._result = plan.stage, plan.result
        if workflow.patched(TIME_TRIGGERS_PATCH):
            self._moments = [m for m in plan.moments if not self._known(m.event_id)]
        if plan.duplicate:
            ack.status = "duplicate"
        caused: list[OppEvent] = []
        ack.outcomes += await self._run_in_order(plan.automations, caused)
        self._queue[:0] = caused  # what this event caused is handled next
        self._finish(event, ack)

    async def _run_in_order(self, automations: list[PlannedAutomation], caused: list[OppEvent]) -> list[str]:
        """Each automation in order; after a rule's wait, that rule's next ones are held until its end (the
        other rules' go on)."""
        outcomes: list[str] = []
        held: dict[int, Waiting] = {}  # rule version id -> its wait
        for automation in automations:
            if automation.rule_id in held:
                held[automation.rule_id].rest.append(automation)
                continue
            until: list = []
            outcome = automation.stopped or await self._run(automation, caused, until=until)
            outcomes.append(f"{automation.rule_key} #{automation.position + 1} {automation.kind}: {outcome}")
            if until:
                held[automation.rule_id] = Waiting(until[0], automation)
                self._waits.append(held[automation.rule_id])
        return outcomes

    async def _resume(self, waiting: Waiting) -> None:
        inp = self._inp
        stop = await workflow.execute_activity_method(
            PipelineActivities.resume_after_wait,
            ResumeInput(inp.org_slug, inp.opportunity_ref, waiting, workflow.now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY,
            summary=f"End of the wait of {waiting.wait.rule_key} v{waiting.wait.rule_version}")
        caused: list[OppEvent] = []
        if stop is None:
            await self._run_in_order(waiting.rest, caused)
        self._queue[:0] = caused
        self._publish(f"wait of {waiting.wait.rule_key} ended" + (f" ({stop})" if stop else ""))

    def _finish(self, event: OppEvent, ack: EventAck) -> None:
        self._seen.append(event.event_id)
        self._current = None
        self._handled += 1
        if event.wait:
            self._done[event.event_id] = ack
        self._publish(event.event_id)

    async def _run(self, a: PlannedAutomation, caused: list[OppEvent], retry: bool = False,
                   until: list | None = None) -> str:
        inp = self._inp
        # What may send an email goes on the SES-paced email queue: a notification too, since it may email
        # its user (the channel is read in the activity); before this change it ran on the main queue.
        emails = a.kind == "send_email" or (a.kind == "notify" and workflow.patched("pipeline-notify-email-queue"))
        method = PipelineActivities.send_automation_email if emails else PipelineActivities.run_automation
        queue = email_queue(workflow.info().task_queue) if emails else None
        try:
            outcome = await workflow.execute_activity_method(
                method, AutomationInput(inp.org_slug, inp.opportunity_ref, a, workflow.now(), retry),
                task_queue=queue, start_to_close_timeout=AUTOMATION_TIMEOUT, retry_policy=AUTOMATION_RETRY,
                summary=f"{a.rule_key} v{a.rule_version} #{a.position + 1}: {a.label}"[:200])
        except ActivityError as exc:
            reason = str(exc.cause.message if isinstance(exc.cause, ApplicationError) else exc.cause or exc)
            await workflow.execute_activity_method(
                PipelineActivities.record_failure,
                FailureInput(inp.org_slug, inp.opportunity_ref, a, reason, workflow.now()),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Record the failure")
            self._failed[a.idem_key] = a
            return f"failed: {reason}"
        self._failed.pop(a.idem_key, None)
        if outcome.caused is not None and outcome.state == AutomationState.DONE:
            caused.append(outcome.caused)
        if outcome.until is not None and until is not None:
            until.append(outcome.until)
        return f"{outcome.state}" + (f" ({outcome.detail})" if outcome.detail else "")

    async def _retry(self, request: PendingRetry) -> None:
        a = self._failed.get(request.idem_key)
        if a is None:
            return
        caused: list[OppEvent] = []
        await self._run(a, caused, retry=True)
        self._queue[:0] = caused
        self._publish(f"retry of {a.rule_key} #{a.position + 1}")

    def _publish(self, last: str) -> None:
        workflow.upsert_search_attributes([
            sa.STAGE.value_set(self._stage or "-"), sa.RESULT.value_set(self._result or "-"),
            sa.AUTOMATION_FAILED.value_set(bool(self._failed))])
        failed = "".join(f"\n- failed: {a.rule_key} #{a.position + 1} {a.kind} ({a.idem_key})"
                         for a in self._failed.values())
        failed += "".join(f"\n- time trigger at {m.due.isoformat()}: {m.label}" for m in self._moments[:5])
        failed += "".join(f"\n- wait of {w.wait.rule_key} v{w.wait.rule_version} until {w.due.isoformat()}, then "
                          f"{len(w.rest)} more" for w in self._waits[:5])
        workflow.set_current_details(
            f"Opportunity **{self._inp.opportunity_ref}** · stage {self._stage} · {self._result}\n\n"
            f"last: {last} · {self._handled} handled this run · {len(self._queue)} queued{failed}")

    @workflow.update
    async def report(self, event: OppEvent) -> EventAck:
        """Queue the event (or say it was seen already); with `wait`, answer once it is handled."""
        if self._known(event.event_id):
            return EventAck(event.event_id, "duplicate")
        self._queue.append(event)
        if not event.wait:
            return EventAck(event.event_id, "accepted")
        await workflow.wait_condition(lambda: event.event_id in self._done)
        return self._done.pop(event.event_id)

    def _known(self, event_id: str) -> bool:
        return event_id == self._current or event_id in self._seen or any(q.event_id == event_id for q in self._queue)

    @report.validator
    def _validate_report(self, event: OppEvent) -> None:
        """Refused, nothing written: an event without an id or kind (the host API checks the rest)."""
        if not isinstance(event.event_id, str) or not event.event_id.strip():
            raise ValueError("event refused: field event_id is empty")
        if event.kind not in ("opportunity", "quote", "action"):
            raise ValueError(f"event refused: field kind: unknown kind {event.kind!r}")

    @workflow.update
    def retry(self, request: RetryRequest) -> str:
        self._retries.append(PendingRetry(request.idem_key, request.by))
        a = self._failed[request.idem_key]
        return f"retry of {a.rule_key} #{a.position + 1} ({a.kind}) queued"

    @retry.validator
    def _validate_retry(self, request: RetryRequest) -> None:
        if request.idem_key not in self._failed:
            raise ValueError(f"retry refused: no failed automation {request.idem_key!r} on this opportunity")
        if any(r.idem_key == request.idem_key for r in self._retries):
            raise ValueError(f"retry refused: {request.idem_key!r} is being retried already")

    @workflow.query
    def status(self) -> OpportunityStatus:
        return OpportunityStatus(self._handled, len(self._queue), sorted(self._failed), self._stage, self._result,
                                 self._busy, [f"{m.due.isoformat()} {m.label}" for m in self._moments],
                                 [f"{w.due.isoformat()} {w.wait.rule_key} #{w.wait.position + 1}" for w in self._waits])


WORKFLOWS = [OpportunityWorkflow, HostCallWorkflow]  # every workflow of the domain (replay, sandbox checks)


def registration(deps: WorkerDeps) -> Registration:
    """The pipeline domain's part of the worker."""
    acts = PipelineActivities(deps.db, deps.mailer, deps.webhooks)
    calls = HostCallActivities(deps.db, Allowlist.parse(deps.settings.outbound_allow), Sealer(deps.settings.codec_keys))
    return Registration(workflows=[OpportunityWorkflow], email_activities=[acts.send_automation_email],
                        activities=[acts.apply_event, acts.run_automation, acts.record_failure,
                                    acts.resume_after_wait],
                        webhook_workflows=[HostCallWorkflow],
                        webhook_activities=[calls.call_host, calls.record_host_answer])
