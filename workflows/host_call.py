"""HostCallWorkflow: one run per call_host automation, id host-call:<automation key>, on the webhook
queue: the signed POST retried with the webhook deliveries' backoff (10 s, doubling, at most 1 h apart)
for up to 3 days, then the answer, or why none came, written on the opportunity's timeline. The
opportunity's workflow does not wait for it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.host_call import HostCallActivities
    from relance.pipeline.types import HostCallEnd, HostCallInput
    from relance.scenario.plan import RunState
    from relance.temporal import search_attributes as sa
    from workflows.webhooks import ATTEMPT_TIMEOUT, BACKOFF, GIVE_UP_AFTER, RETRY


@workflow.defn
class HostCallWorkflow:
    @workflow.run
    async def run(self, inp: HostCallInput) -> HostCallEnd:
        try:
            answer = await workflow.execute_activity_method(
                HostCallActivities.call_host, inp, schedule_to_close_timeout=GIVE_UP_AFTER,
                start_to_close_timeout=ATTEMPT_TIMEOUT, retry_policy=BACKOFF,
                summary=f"POST to endpoint {inp.endpoint_id} for {inp.label}"[:200])
            end = HostCallEnd(inp, workflow.now(), answer)
        except ActivityError as exc:
            end = HostCallEnd(inp, workflow.now(), failure=_why(exc))
        await workflow.execute_activity_method(
            HostCallActivities.record_host_answer, end, start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RETRY, summary="Write the answer on the timeline")
        workflow.upsert_search_attributes([sa.STATE.value_set(RunState.ENDED)])
        return end


def _why(exc: ActivityError) -> str:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return cause.message
    last = cause.cause if cause is not None and cause.cause is not None else cause
    return f"no 2xx answer in {GIVE_UP_AFTER.days} days" + (f" (last: {last.message})"
                                                             if isinstance(last, ApplicationError) else "")
