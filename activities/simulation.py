"""The I/O of a simulation: the scenario's steps, and each step's email sent to the chosen user with
the merge fields that have no invoice behind them left as their raw codes."""

from __future__ import annotations

import structlog
from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models import AppUser, Scenario
from relance import calendar, repository
from relance.db import Database
from relance.email.compose import compose, sender_for
from relance.email.mailer import SesMailer
from relance.email.rendering import MergeData
from relance.scenario.plan import PlannedStep
from relance.scenario.steps import scenario_steps
from relance.simulation.types import SimulateStepInput, SimulationInput, SimulationPlan, StepReport

log = structlog.get_logger("relance.simulation")


class SimulationActivities:
    def __init__(self, db: Database, mailer: SesMailer):
        self.db = db
        self.mailer = mailer

    @activity.defn
    async def load_simulation(self, inp: SimulationInput) -> SimulationPlan:
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
            scenario = await session.get(Scenario, inp.scenario_id)
            if scenario is None or scenario.org_id != org.id:
                raise ApplicationError(f"organisation {inp.org_slug!r} has no scenario {inp.scenario_id}",
                                       non_retryable=True)
            steps = await scenario_steps(session, scenario.id)
        return SimulationPlan(f"{scenario.name} (v{scenario.version})", [
            PlannedStep(position=s.position, kind=s.kind, label=s.label, offset_days=s.offset_days,
                        pause_days=s.pause_days) for s in steps])

    @activity.defn
    async def simulate_step(self, inp: SimulateStepInput) -> StepReport:
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
            step = next(s for s in await scenario_steps(session, inp.scenario_id) if s.position == inp.position)
            if step.kind == "action":
                return StepReport(step.position, step.kind, step.label, "task_not_created",
                                  f"would create the task {step.task_title or step.label!r}, "
                                  f"due {step.task_due_days} day(s) after")
            user = (await session.exec(select(AppUser).where(
                AppUser.org_id == org.id, AppUser.email == inp.user_email))).first()
            if user is None:
                raise ApplicationError(f"{inp.user_email!r} is not a user of organisation {org.slug!r}",
                                       non_retryable=True)
            merge = MergeData(locale=org.locale, currency=org.currency,
                              today=calendar.local_today(inp.now, org.timezone), name=user.full_name)
            sender = await sender_for(session, org, step, creator_user_id=None)
            composed = await compose(session, self.mailer, org, step, sender, user.email, merge)
        if composed.email is None:
            return StepReport(step.position, step.kind, step.label, "not_sent", f"{composed.reason}: {composed.detail}")
        composed.email.bcc = []
        message_id = await self.mailer.send(composed.email)
        log.info("simulation email sent", org=org.slug, step=step.position, message_id=message_id)
        return StepReport(step.position, step.kind, step.label, "sent", composed.email.subject, message_id)
