"""MarketingEnrolmentWorkflow: one run per contact and scenario, id marketing:<org>:<scenario>:<contact>.

It walks the scenario version frozen at enrolment with the shared ScenarioWalk, anchored on the
enrolment day: before each email or action step it waits (a durable timer) until the step's time,
then an activity re-checks the contact (deleted, opted out, scenario switched off) and does the step.
`remove` (an update, so a malformed or late request is refused to its sender, never wedging the run)
ends it at once with who and why; `contact_changed` makes it re-check now (an unsubscribe).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.marketing import CampaignActivities, MarketingActivities
    from relance.marketing.consent import Links
    from relance.marketing.types import (
        BeginEnrolmentInput,
        CampaignCancel,
        CampaignCarried,
        CampaignFailureInput,
        CampaignFinishInput,
        CampaignInput,
        CampaignProgress,
        CampaignRef,
        CampaignResult,
        CampaignSendInput,
        ContactCheckInput,
        EnrolmentPlan,
        EnrolmentResult,
        ExitReason,
        FinishInput,
        MarketingInput,
        RecipientOutcome,
        RecipientPage,
        RemovalRequest,
        StepInput,
    )
    from relance.scenario.plan import CancelRequest, PlannedStep, RunState, StepOutcome, WalkExit, WalkStatus
    from relance.temporal import search_attributes as sa
    from relance.temporal.queues import email_queue
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.scenario_walk import DurableClock, ScenarioWalk, walk_status
    from workflows.sending import SEND_HEARTBEAT, SEND_TIMEOUT, send_options, until_settled
    from workflows.versions import follows

ACTIVITY_TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
LOCAL = dict(start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY)


@workflow.defn
class MarketingEnrolmentWorkflow:
    @workflow.init
    def __init__(self, inp: MarketingInput) -> None:
        self._inp = inp  # here, so that a removal arriving with the start can name the contact
        self._plan: EnrolmentPlan | None = None
        self._clock = DurableClock(recheck=self._check_contact)
        self._walk: ScenarioWalk | None = None
        self._exit: tuple[ExitReason, str | None] | None = None

    @workflow.run
    async def run(self, inp: MarketingInput) -> EnrolmentResult:
        info = workflow.info()
        self._plan = plan = await workflow.execute_local_activity_method(
            MarketingActivities.begin_enrolment,
            BeginEnrolmentInput(info.workflow_id, info.run_id, inp.org_slug, inp.scenario_key, inp.contact_ref,
                                inp.enrolled_by, workflow.now()),
            summary="Load contact and scenario", **LOCAL,
        )
        self._walk = ScenarioWalk(plan, self._do_step, self._clock,
                                  headline=f"Contact **{plan.contact_ref}** · {plan.scenario_name}")
        end = await self._walk.walk()
        reason = ExitReason.REMOVED if end.reason == WalkExit.CANCELLED else ExitReason(end.reason)
        return await self._finish(reason, end.detail, end.steps_done)

    async def _do_step(self, index: int, step: PlannedStep) -> StepOutcome:
        """Re-check the contact, then send the email or create the task (one activity). An email left
        uncertain is settled after the reconciliation window, by SES's record of it (confirmed, or sent
        again when SES never had it)."""
        return await until_settled(lambda resolving: self._execute_step(index, step, resolving),
                                   f"Step {self._walk.step_name(index)}",
                                   follows("marketing-settle-uncertain", self._inp.revision))

    async def _execute_step(self, index: int, step: PlannedStep, resolving: bool) -> StepOutcome:
        plan = self._plan
        return await workflow.execute_activity_method(
            MarketingActivities.execute_marketing_step,
            StepInput(workflow.info().workflow_id, plan.enrolment_id, plan.org_slug, plan.contact_ref,
                      plan.scenario_key, plan.scenario_id, step.position, workflow.now(), resolving,
                      self._inp.opportunity),
            task_queue=email_queue(workflow.info().task_queue),
            summary=f"Check the contact, then step {self._walk.step_name(index)} ({step.kind})"
                    + (" - settle uncertain send" if resolving else ""),
            **send_options(self._inp.revision, "marketing-settle-uncertain"),
        )

    async def _check_contact(self) -> ExitReason | None:
        plan = self._plan
        check = await workflow.execute_activity_method(
            MarketingActivities.check_contact, ContactCheckInput(plan.org_slug, plan.contact_ref, plan.scenario_key),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Re-check contact",
        )
        return check.exit_reason

    async def _finish(self, reason: ExitReason, detail: str | None, steps_done: int) -> EnrolmentResult:
        self._exit = (reason, detail)
        workflow.metric_meter().create_counter(
            "relance_marketing_runs_ended", "Marketing enrolments ended, by reason").add(1, {"reason": reason.value})
        self._walk.ended(f"{reason}" + (f" ({detail})" if detail else ""), reason.value)
        await workflow.execute_local_activity_method(
            MarketingActivities.finish_enrolment,
            FinishInput(workflow.info().workflow_id, self._plan.enrolment_id, reason, detail, self._walk.emails_sent,
                        workflow.now()),
            summary=f"Finish: {reason}", **LOCAL,
        )
        return EnrolmentResult(reason, detail, self._walk.emails_sent, steps_done)

    @workflow.update
    def remove(self, request: RemovalRequest) -> str:
        """Take the contact out of the scenario: the run ends at once, recorded with who and why."""
        self._clock.cancel_request = CancelRequest(reason=request.reason.strip(), by=request.by.strip())
        return f"contact {self._inp.contact_ref} removed from {self._inp.scenario_key} by {request.by.strip()}"

    @remove.validator
    def _validate_remove(self, request: RemovalRequest) -> None:
        """Refused (nothing written to the history): a request without who or why, or one too late."""
        problems = [f"field {name} is empty" for name in ("by", "reason")
                    if not isinstance(getattr(request, name, None), str) or not getattr(request, name).strip()]
        if problems:
            raise ValueError(f"removal refused: {'; '.join(problems)}")
        if self._exit is not None or self._clock.cancel_request is not None:
            raise ValueError("removal refused: the enrolment is ending already")

    @workflow.signal
    def contact_changed(self) -> None:
        """The contact (consent, deletion) or the scenario (switched off) changed: re-check now."""
        self._clock.recheck_requested = True

    @workflow.query
    def status(self) -> WalkStatus:
        return walk_status(self._walk, self._exit)


# Sends in flight at once: the email queue's rate limit (the SES quota) paces them; this only bounds
# the run's open activities.
CAMPAIGN_CONCURRENCY = 20
# A recipient's send is retried (throttling, a network error) this many times, then recorded failed.
SEND_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1),
                         maximum_attempts=10, non_retryable_error_types=["SenderNotVerified"])


@workflow.defn
class EmailCampaignWorkflow:
    """One workflow per campaign, id campaign:<org>:<campaign>: waits for its launch time, freezes its
    recipients, sends once to each (re-checked just before, on the SES-paced email queue) and records
    each one's outcome; a recipient's failure never stops the others. `cancel` (an update, validated)
    stops what is not sent yet. A run sends to `batch_size` recipients, then continues as new with its
    progress (history size, CAMPAIGN_BATCH); sends left uncertain are settled at the end."""

    def __init__(self) -> None:
        self._cancel: CampaignCancel | None = None
        self._progress = CampaignProgress(total=0, done=0, sent=0, skipped=0, failed=0, state="scheduled")
        self._headline = ""
        self._uncertain: list[int] = []  # recipients whose send is uncertain: settled at the campaign's end
        self._settle_after = 0.0

    @workflow.run
    async def run(self, inp: CampaignInput) -> CampaignResult:
        self._headline = f"Campaign **{inp.campaign_key}** ({inp.org_slug})"
        batched = not inp.retry and follows("campaign-batches", inp.revision)
        if inp.carried is None:
            campaign_id, recipients = await self._launch(inp)
            if batched:
                recipients = recipients[:inp.batch_size]
        else:
            carried = inp.carried
            campaign_id, self._progress = carried.campaign_id, carried.progress
            self._uncertain, self._settle_after = list(carried.uncertain), carried.settle_after
            recipients = await workflow.execute_activity_method(
                CampaignActivities.next_recipients,
                RecipientPage(campaign_id, carried.after_contact_id, inp.batch_size),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Next batch of recipients")
        self._publish()
        await self._send_all(inp, campaign_id, recipients, resolving=False)
        if batched and len(recipients) == inp.batch_size:
            await workflow.wait_condition(workflow.all_handlers_finished)
            if self._cancel is None:  # a full batch: there may be more, sent by a fresh run (history size)
                workflow.continue_as_new(replace(inp, carried=CampaignCarried(
                    campaign_id, recipients[-1], self._progress, self._uncertain, self._settle_after)))
        await self._settle_uncertain(inp, campaign_id)
        result = await workflow.execute_activity_method(
            CampaignActivities.finish_campaign,
            CampaignFinishInput(inp.org_slug, inp.campaign_key, campaign_id, self._cancel, workflow.now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Finish")
        self._progress.state = result.state
        workflow.upsert_search_attributes([sa.STATE.value_set(RunState.ENDED), sa.EXIT_REASON.value_set(result.state)])
        self._details(f"{result.state}: {result.sent} sent, {result.skipped} skipped, {result.failed} failed, "
                      f"{result.cancelled} cancelled of {result.total}")
        return result

    async def _launch(self, inp: CampaignInput) -> tuple[int, list[int]]:
        """Wait for the launch time (a cancel ends the wait), then freeze the recipients."""
        if inp.launch_at is not None and inp.launch_at > workflow.now():
            self._details(f"launches at {inp.launch_at:%Y-%m-%d %H:%M} UTC")
            try:
                await workflow.wait_condition(lambda: self._cancel is not None,
                                              timeout=inp.launch_at - workflow.now(), timeout_summary="launch time")
            except TimeoutError:
                pass
        audience = await workflow.execute_activity_method(
            CampaignActivities.prepare_campaign, CampaignRef(inp.org_slug, inp.campaign_key, workflow.now(),
                                                             inp.retry),
            start_to_close_timeout=timedelta(minutes=5), retry_policy=RETRY, summary="Freeze the recipients")
        self._progress.total, self._progress.state = len(audience.contact_ids), "sending"
        workflow.upsert_search_attributes([sa.STATE.value_set("sending")])
        return audience.campaign_id, audience.contact_ids

    async def _send_all(self, inp: CampaignInput, campaign_id: int, recipients: list[int], resolving: bool) -> None:
        waiting = iter(recipients)

        async def lane() -> None:
            """Takes the next recipient as soon as its previous send is done: no batch waits for its slowest."""
            for contact_id in waiting:
                if self._cancel is not None and not resolving:  # an uncertain send is settled all the same
                    return
                await self._send(inp, campaign_id, contact_id, resolving)
                self._publish()

        await asyncio.gather(*(lane() for _ in range(CAMPAIGN_CONCURRENCY)))

    async def _settle_uncertain(self, inp: CampaignInput, campaign_id: int) -> None:
        """Sends left uncertain (a worker died mid-send) are settled by SES's record of them once the
        reconciliation window has passed: at the campaign's end, so no other recipient waits for them."""
        while self._uncertain:
            uncertain, self._uncertain = self._uncertain, []
            await workflow.sleep(timedelta(seconds=self._settle_after),
                                 summary=f"{len(uncertain)} uncertain send(s): waiting for SES's events")
            await self._send_all(inp, campaign_id, uncertain, resolving=True)

    async def _send(self, inp: CampaignInput, campaign_id: int, contact_id: int, resolving: bool) -> None:
        """One recipient: sent, skipped or failed (recorded), or uncertain (settled at the end)."""
        settles = follows("marketing-settle-uncertain", inp.revision)
        try:
            outcome = await self._send_once(inp, campaign_id, contact_id, settles, resolving)
            if outcome.resolve_after is not None and settles:
                self._uncertain.append(contact_id)
                self._settle_after = outcome.resolve_after
                return
        except ActivityError as exc:
            await workflow.execute_activity_method(
                CampaignActivities.record_campaign_failure,
                CampaignFailureInput(campaign_id, contact_id, str(exc.cause or exc), workflow.now()),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Record the failure")
            self._progress.failed += 1
        else:
            if outcome.state == "sent":
                self._progress.sent += 1
            else:
                self._progress.skipped += 1
        self._progress.done += 1

    async def _send_once(self, inp: CampaignInput, campaign_id: int, contact_id: int, settles: bool,
                         resolving: bool) -> RecipientOutcome:
        # A send that settles uncertainty heartbeats (a dead worker is noticed in seconds, workflows/sending.py).
        timeouts = (dict(start_to_close_timeout=SEND_TIMEOUT, heartbeat_timeout=SEND_HEARTBEAT) if settles
                    else dict(start_to_close_timeout=ACTIVITY_TIMEOUT))
        return await workflow.execute_activity_method(
            CampaignActivities.send_campaign_email,
            CampaignSendInput(inp.org_slug, inp.campaign_key, campaign_id, contact_id, workflow.now(), resolving),
            task_queue=email_queue(workflow.info().task_queue), retry_policy=SEND_RETRY,
            summary=f"Send to contact #{contact_id}" + (" - settle uncertain send" if resolving else ""), **timeouts)

    def _publish(self) -> None:
        """The UI's current details (no history event: it can follow every send)."""
        p = self._progress
        self._details(f"**{p.done} of {p.total}** ({p.sent} sent, {p.skipped} skipped, {p.failed} failed)"
                      + (f" · {len(self._uncertain)} uncertain, settled at the end" if self._uncertain else "")
                      + (" · cancelling" if self._cancel else ""))

    def _details(self, text: str) -> None:
        workflow.set_current_details(f"{self._headline}\n\n{text}")

    @workflow.update
    def cancel(self, request: CampaignCancel) -> str:
        """Stop the campaign: what is not sent yet is not sent (the sends in flight finish)."""
        self._cancel = CampaignCancel(by=request.by.strip(), reason=request.reason.strip())
        return f"campaign cancelled by {self._cancel.by}: {self._progress.done} of {self._progress.total} done"

    @cancel.validator
    def _validate_cancel(self, request: CampaignCancel) -> None:
        problems = [f"field {name} is empty" for name in ("by", "reason")
                    if not isinstance(getattr(request, name, None), str) or not getattr(request, name).strip()]
        if problems:
            raise ValueError(f"cancel refused: {'; '.join(problems)}")
        if self._cancel is not None or self._progress.state in ("finished", "cancelled"):
            raise ValueError("cancel refused: the campaign is ending already")

    @workflow.query
    def progress(self) -> CampaignProgress:
        return self._progress


WORKFLOWS = [MarketingEnrolmentWorkflow, EmailCampaignWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """The marketing domain's part of the worker."""
    links = Links(deps.settings.public_base_url, deps.settings.unsubscribe_secret)
    acts = MarketingActivities(deps.db, deps.mailer, deps.webhooks, links)
    campaign = CampaignActivities(deps.db, deps.mailer, deps.webhooks, links)
    return Registration(workflows=WORKFLOWS,
                        email_activities=[acts.execute_marketing_step, campaign.send_campaign_email],
                        activities=[acts.begin_enrolment, acts.check_contact, acts.finish_enrolment,
                                    campaign.prepare_campaign, campaign.next_recipients,
                                    campaign.record_campaign_failure, campaign.finish_campaign])
