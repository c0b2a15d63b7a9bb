"""WebhookDeliveryWorkflow: one run per event and endpoint, id webhook:<endpoint>:<event> (a replay
adds :replay-<n>), on the webhook task queue.

One activity attempt per POST, retried with exponential backoff (10 s, doubling, at most 1 h apart)
for up to 3 days; then the delivery is failed, visible and replayable.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from models import DeliveryState
    from relance.outbound import Allowlist
    from relance.scenario.plan import RunState
    from relance.sealing import Sealer
    from relance.temporal import search_attributes as sa
    from relance.temporal.registration import Registration, WorkerDeps
    from relance.webhooks.types import DeliveryInput, DeliveryResult, GiveUpInput

GIVE_UP_AFTER = timedelta(days=3)
ATTEMPT_TIMEOUT = timedelta(seconds=30)  # the POST itself times out after 10 s
BACKOFF = RetryPolicy(initial_interval=timedelta(seconds=10), backoff_coefficient=2.0,
                      maximum_interval=timedelta(hours=1), maximum_attempts=0)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))


@workflow.defn
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, inp: DeliveryInput) -> DeliveryResult:
        try:
            await workflow.execute_activity_method(
                WebhookActivities.attempt_delivery, inp, schedule_to_close_timeout=GIVE_UP_AFTER,
                start_to_close_timeout=ATTEMPT_TIMEOUT, retry_policy=BACKOFF,
                summary=f"POST {inp.event_id} to endpoint {inp.endpoint_id}",
            )
            result = DeliveryResult(DeliveryState.SUCCEEDED)
        except ActivityError as exc:
            result = DeliveryResult(DeliveryState.FAILED, _why(exc))
            await workflow.execute_activity_method(
                WebhookActivities.give_up, GiveUpInput(inp.delivery_id, result.detail),
                start_to_close_timeout=timedelta(seconds=60), retry_policy=RETRY, summary="Give up: failed",
            )
        workflow.upsert_search_attributes([sa.STATE.value_set(RunState.ENDED), sa.EXIT_REASON.value_set(result.state)])
        return result


def _why(exc: ActivityError) -> str | None:
    """The refusal that stopped the retries (a disabled or gone endpoint); None when time ran out,
    so the delivery keeps its last attempt's error."""
    if exc.retry_state == RetryState.NON_RETRYABLE_FAILURE and isinstance(exc.cause, ApplicationError):
        return exc.cause.message
    return None


WORKFLOWS = [WebhookDeliveryWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """Webhooks' part of the worker: all of it on the webhook queue."""
    acts = WebhookActivities(deps.db, Allowlist.parse(deps.settings.outbound_allow), Sealer(deps.settings.codec_keys))
    return Registration(webhook_workflows=WORKFLOWS, webhook_activities=[acts.attempt_delivery, acts.give_up])
