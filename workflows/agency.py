"""The booking agency's outbox (seed 003).

AgencyDraftingWorkflow: one run per agency and night (its Schedule, in the agency's zone, starts it):
expire what is past, draft what is due by a window (a missed night is caught up the next), then email
the day's summary to the staff who ask for it.

AgencySendWorkflow: one run per send-all (id = the batch id): claims exactly the drafts the person
confirmed, waits for the agency's send window if it is closed, sends each once (re-checked against its
booking just before, on the SES-paced email queue), a failure never stopping the others; progress in a
query and in the current details.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.agency import AgencyActivities
    from relance.agency.types import (
        ClaimInput,
        DraftingInput,
        DraftingRequest,
        DraftingResult,
        FailureInput,
        FinishInput,
        SendInput,
        SendOne,
        SendProgress,
        SummaryInput,
    )
    from relance.scenario.plan import RunState
    from relance.temporal import search_attributes as sa
    from relance.temporal.queues import email_queue
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.sending import SEND_HEARTBEAT, SEND_TIMEOUT

ACTIVITY_TIMEOUT = timedelta(minutes=5)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
# SES throttling is waited out inside one attempt (relance.email.mailer); what still fails after a few
# attempts is recorded as failed, for "retry the failed ones", instead of holding the send-all up.
DRAFT_SEND = dict(start_to_close_timeout=SEND_TIMEOUT, heartbeat_timeout=SEND_HEARTBEAT,
                  retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1),
                                           maximum_interval=timedelta(seconds=30), maximum_attempts=5))
LANES = 20  # sends in flight per send-all (as a campaign); the email queue's rate limit sets the pace


@workflow.defn
class AgencyDraftingWorkflow:
    @workflow.run
    async def run(self, inp: DraftingInput) -> DraftingResult:
        headline = f"Drafting **{inp.agency_slug}** ({inp.org_slug})"
        workflow.set_current_details(f"{headline}\n\nexpiring and drafting")
        result = await workflow.execute_activity_method(
            AgencyActivities.draft_agency_day, DraftingRequest(inp.org_slug, inp.agency_slug, workflow.now(), inp.day),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Expire and draft the day")
        workflow.set_current_details(f"{headline}\n\n{result.drafted} drafted, {result.expired} expired; "
                                     "emailing the day's summary")
        summary = await workflow.execute_activity_method(
            AgencyActivities.email_day_summary, SummaryInput(inp.org_slug, inp.agency_slug, workflow.now(),
                                                             result.day),
            task_queue=email_queue(workflow.info().task_queue), summary="Email the day's summary", **DRAFT_SEND)
        workflow.upsert_search_attributes([sa.STATE.value_set(RunState.ENDED)])
        workflow.set_current_details(
            f"{headline}\n\n{result.day}: {result.drafted} drafted, {result.expired} expired, "
            f"{summary.waiting} waiting ({summary.expiring_soon} expiring within 2 days), "
            f"summary emailed to {summary.emailed}")
        return result


@workflow.defn
class AgencySendWorkflow:
    def __init__(self) -> None:
        self._progress = SendProgress()
        self._headline = ""

    @workflow.run
    async def run(self, inp: SendInput) -> SendProgress:
        self._headline = f"Send-all **{inp.batch_id}** by {inp.by}"
        claimed = await workflow.execute_activity_method(
            AgencyActivities.claim_send_batch, ClaimInput(inp.org_slug, inp.batch_id),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Claim the confirmed drafts")
        self._progress.total = len(inp.draft_ids)
        self._progress.skipped = len(inp.draft_ids) - len(claimed)
        self._progress.done = self._progress.skipped
        await self._until_window_opens(inp)
        workflow.upsert_search_attributes([sa.STATE.value_set("sending")])
        self._publish()
        waiting = iter(claimed)

        async def lane() -> None:
            for draft_id in waiting:
                await self._send(inp, draft_id)
                self._publish()

        await asyncio.gather(*(lane() for _ in range(LANES)))
        await workflow.execute_activity_method(
            AgencyActivities.finish_send_batch, FinishInput(inp.org_slug, inp.batch_id, workflow.now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Finish")
        workflow.upsert_search_attributes([sa.STATE.value_set(RunState.ENDED)])
        self._publish("finished: ")
        return self._progress

    async def _until_window_opens(self, inp: SendInput) -> None:
        """Outside the agency's send window the claimed drafts wait, as one durable timer, for it to open."""
        if inp.window is None:
            return
        opens = inp.window.opens(workflow.now())
        if opens <= workflow.now():
            return
        self._progress.waiting_until = opens
        workflow.upsert_search_attributes([sa.STATE.value_set(RunState.WAITING), sa.NEXT_STEP_AT.value_set(opens)])
        self._publish(f"waiting for the send window, which opens {inp.window.local(opens)}: ")
        await workflow.sleep(opens - workflow.now(), summary="Wait for the agency's send window")
        self._progress.waiting_until = None

    async def _send(self, inp: SendInput, draft_id: int) -> None:
        try:
            outcome = await workflow.execute_activity_method(
                AgencyActivities.send_agency_draft,
                SendOne(inp.org_slug, inp.agency_slug, inp.batch_id, draft_id, inp.by, workflow.now()),
                task_queue=email_queue(workflow.info().task_queue), summary=f"Send draft #{draft_id}", **DRAFT_SEND)
            kind = outcome.outcome
        except ActivityError as exc:
            await workflow.execute_activity_method(
                AgencyActivities.record_draft_failure,
                FailureInput(inp.org_slug, inp.batch_id, draft_id, str(exc.cause or exc), workflow.now()),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary="Record the failure")
            kind = "failed"
        setattr(self._progress, kind, getattr(self._progress, kind) + 1)
        self._progress.done += 1

    def _publish(self, prefix: str = "") -> None:
        p = self._progress
        workflow.set_current_details(f"{self._headline}\n\n{prefix}**{p.done} of {p.total}** ({p.sent} sent, "
                                     f"{p.withdrawn} withdrawn, {p.failed} failed, {p.skipped} skipped)")

    @workflow.query
    def progress(self) -> SendProgress:
        return self._progress


WORKFLOWS = [AgencyDraftingWorkflow, AgencySendWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """The agency domain's part of the worker."""
    acts = AgencyActivities(deps.db, deps.mailer, deps.webhooks, deps.settings.public_base_url)
    return Registration(workflows=WORKFLOWS,
                        email_activities=[acts.send_agency_draft, acts.email_day_summary],
                        activities=[acts.draft_agency_day, acts.claim_send_batch, acts.record_draft_failure,
                                    acts.finish_send_batch])
