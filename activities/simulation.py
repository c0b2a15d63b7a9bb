"""The I/O of a simulation: the scenario's steps, and each step's email sent to the chosen user with
the merge fields that have no invoice behind them left as their raw codes. The email goes through the
send-once ledger like any other, keyed by the simulation's run and step."""

from __future__ import annotations

import structlog
from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models import About, AppUser, Scenario
from relance import calendar, repository
from relance.db import Database
from relance.email import ledger, merge
from relance.email.mailer import SesMailer
from relance.email.recipient import Recipient
from relance.email.sending import SendStatus, send_once
from relance.scenario.email import compose_step
from relance.scenario.plan import PlannedStep, step_number
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
            recipient = Recipient(user.email, "", user.full_name, "user")
            values = merge.values(recipient, calendar.local_today(inp.now, org.timezone), org.locale)
            composed = await compose_step(session, self.mailer, org, step, recipient, values, notify_bcc=False,
                                          missing_as_codes=True)
        if composed.email is None:
            return StepReport(step.position, step.kind, step.label, "not_sent", f"{composed.reason}: {composed.detail}")
        info = activity.info()
        # One email per step of this simulation's run, even when the activity is retried.
        key = f"{info.workflow_id}:{info.workflow_run_id}:{step.position}:email"
        result = await send_once(self.db, self.mailer, key, composed.email,
                                 ledger.Source(org.id, info.workflow_id, About("user", user.email)), inp.now)
        if result.status == SendStatus.SENDER_REFUSED:
            return StepReport(step.position, step.kind, step.label, "not_sent",
                              f"{result.reason}: {composed.email.sender_address} is not a verified SES identity")
        log.info("simulation email sent", org=org.slug, step=step_number(step.position), message_id=result.message_id,
                 again=not result.fresh)
        detail = composed.email.subject if result.status == SendStatus.SENT else f"{result.status}: {result.reason}"
        return StepReport(step.position, step.kind, step.label, result.status.value, detail, result.message_id)
