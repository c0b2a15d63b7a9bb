"""SesEventsWorkflow: one drain of SES's events queue, started by the `ses-events` Schedule every
RELANCE_SES_EVENTS_EVERY seconds (starter/schedule.py). Bounces and complaints reach the suppression
list and the runs' timelines within that time; uncertain sends drain the queue themselves before they
are settled (relance.email.sending)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.email_events import DrainInput, DrainResult, EmailEventActivities
    from relance.temporal.registration import Registration, WorkerDeps


@workflow.defn
class SesEventsWorkflow:
    @workflow.run
    async def run(self) -> DrainResult:
        return await workflow.execute_activity_method(
            EmailEventActivities.drain_ses_events, DrainInput(workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3),
            summary="Record SES's events (Send, Delivery, Bounce, Complaint, Reject)")


WORKFLOWS = [SesEventsWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    acts = EmailEventActivities(deps.db, deps.mailer)
    return Registration(workflows=WORKFLOWS, activities=[acts.drain_ses_events])
