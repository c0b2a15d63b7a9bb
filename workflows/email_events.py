"""SES's events queue drained into the database: bounces and complaints reach the suppression list and
the runs' timelines within RELANCE_SES_EVENTS_EVERY seconds; uncertain sends drain the queue themselves
before they are settled (relance.email.sending).

SesEventsDrainWorkflow is one long-lived run (`ses-events-drain`) that drains, sleeps, and continues as
new every few hundred drains: ops see one run of it in the Temporal UI instead of the 1,440 a day a
Schedule firing every minute started. SesEventsWorkflow is one drain on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.email_events import DrainInput, DrainResult, EmailEventActivities
    from relance.temporal.registration import Registration, WorkerDeps

DRAIN_ID = "ses-events-drain"
# About 8 hours at the default 60 s, some 4,000 history events: far below Temporal's 10,240 warning.
DRAINS_PER_RUN = 500


@dataclass
class DrainLoop:
    every_seconds: float
    drains_per_run: int = DRAINS_PER_RUN


async def _drain() -> DrainResult:
    return await workflow.execute_activity_method(
        EmailEventActivities.drain_ses_events, DrainInput(workflow.now()),
        start_to_close_timeout=timedelta(minutes=5),
        retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3),
        summary="Record SES's events (Send, Delivery, Bounce, Complaint, Reject)")


@workflow.defn
class SesEventsWorkflow:
    @workflow.run
    async def run(self) -> DrainResult:
        return await _drain()


@workflow.defn
class SesEventsDrainWorkflow:
    def __init__(self) -> None:
        self._every: float = 0.0

    @workflow.run
    async def run(self, loop: DrainLoop) -> None:
        self._every = loop.every_seconds
        for _ in range(loop.drains_per_run):
            try:
                await _drain()
            except ActivityError as err:  # SES or the database away: the next drain tries again
                workflow.logger.warning("SES events not drained, trying again at the next drain: %s", err.cause)
            await workflow.sleep(self._every, summary="until the next drain")
        workflow.continue_as_new(DrainLoop(self._every, loop.drains_per_run))

    @workflow.signal
    def change_interval(self, every_seconds: float) -> None:
        """A new RELANCE_SES_EVENTS_EVERY, taken after the current pause."""
        self._every = every_seconds

    @workflow.query
    def interval(self) -> float:
        return self._every


WORKFLOWS = [SesEventsWorkflow, SesEventsDrainWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    acts = EmailEventActivities(deps.db, deps.mailer)
    return Registration(workflows=WORKFLOWS, activities=[acts.drain_ses_events])
