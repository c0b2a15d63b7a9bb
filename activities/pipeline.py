"""The I/O of an opportunity's workflow: apply an event (dedupe, transitions, state, plan), run one
automation at most once (relance.pipeline.automations), record a failure (timeline, webhook)."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from relance.db import Database
from relance.email.mailer import SesMailer
from relance.pipeline import applying, automations, events, repository
from relance.pipeline.types import (
    ApplyInput,
    AutomationInput,
    AutomationOutcome,
    EventPlan,
    FailureInput,
    ResumeInput,
)
from relance.webhooks.publishing import Publisher

log = structlog.get_logger("relance.pipeline")

# The failure type the workflow records at once (no retry can cure it).
PERMANENT = "AutomationCannotSucceed"


class PipelineActivities:
    def __init__(self, db: Database, mailer: SesMailer, webhooks: Publisher):
        self.db = db
        self.mailer = mailer
        self.webhooks = webhooks

    @activity.defn
    async def apply_event(self, inp: ApplyInput) -> EventPlan:
        try:
            async with self.db.session() as session:
                plan = await applying.apply(session, inp.org_slug, inp.opportunity_ref, inp.event, inp.now)
        except repository.NotFound as exc:
            raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc
        log.info("pipeline event applied", org=inp.org_slug, opportunity=inp.opportunity_ref,
                 event_id=inp.event.event_id, transitions=plan.transitions, automations=len(plan.automations),
                 duplicate=plan.duplicate)
        return plan

    @activity.defn
    async def resume_after_wait(self, inp: ResumeInput) -> str | None:
        """A wait's end: None to go on with the rule's next automations, else why they stop."""
        async with self.db.session() as session:
            stop = await applying.resume(session, inp.org_slug, inp.opportunity_ref, inp.waiting, inp.now)
        w = inp.waiting.wait
        log.info("wait ended", org=inp.org_slug, opportunity=inp.opportunity_ref, rule=w.rule_key,
                 rule_version=w.rule_version, position=w.position, goes_on=stop is None)
        return stop

    @activity.defn
    async def run_automation(self, inp: AutomationInput) -> AutomationOutcome:
        return await self._run(inp)

    @activity.defn
    async def send_automation_email(self, inp: AutomationInput) -> AutomationOutcome:
        """The same, on the SES-paced email queue."""
        return await self._run(inp)

    async def _run(self, inp: AutomationInput) -> AutomationOutcome:
        a = inp.automation
        deps = automations.Deps(self.db, self.mailer, activity.client(), _main_queue(activity.info().task_queue),
                                self.webhooks.publish)
        try:
            outcome = await automations.run(deps, inp)
        except automations.Permanent as exc:
            raise ApplicationError(str(exc), type=PERMANENT, non_retryable=True) from exc
        log.info("automation done", org=inp.org_slug, opportunity=inp.opportunity_ref, rule=a.rule_key,
                 rule_version=a.rule_version, position=a.position, kind=a.kind, state=outcome.state)
        return outcome

    @activity.defn
    async def record_failure(self, inp: FailureInput) -> None:
        a = inp.automation
        async with self.db.session() as session:
            org_id = await automations.record_failed(session, inp)
        await self.webhooks.publish(events.automation_failed(inp, org_id))
        log.warning("automation failed", org=inp.org_slug, opportunity=inp.opportunity_ref, rule=a.rule_key,
                    position=a.position, kind=a.kind, reason=inp.reason)


def _main_queue(task_queue: str) -> str:
    """Marketing runs start on the main queue, also when the email activity runs on its own queue."""
    return task_queue.removesuffix("-email")
