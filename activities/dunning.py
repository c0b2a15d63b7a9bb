"""The I/O of a dunning run: load its plan, re-check the invoice, send or record each step, finish.

Every decision is written to the run's timeline (RunEvent). Emails and tasks carry an idempotency
key so a retried activity never sends or creates twice.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog
from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.nightly import PAGE_SIZE, resume
from models import DunningRun, EmailTemplate, RunEvent, ScenarioStep, Task
from relance import calendar
from relance.db import Database
from relance.dunning import repository, rules
from relance.dunning.compose import compose_for_invoice
from relance.dunning.plans import build_plan
from relance.dunning.starting import start_dunning_run
from relance.dunning.types import (
    BeginRunInput,
    FinishRunInput,
    InvoiceCheck,
    InvoiceCheckInput,
    RunPlan,
    SkipReason,
    StepInput,
)
from relance.email.compose import NotSentReason
from relance.email.mailer import OutgoingEmail, SenderNotVerified, SesMailer
from relance.nightly import SweepInput, SweepResult
from relance.scenario import timing
from relance.scenario.plan import PlannedStep, RunState, StepOutcome, StepStatus

log = structlog.get_logger("relance.dunning")

# The sweep keeps this many starts in flight: one at a time, a start is a round trip to the server and
# the sweep would start runs slower than the cluster completes them (bench/).
START_CONCURRENCY = 32

# The statements every run executes are built once, with bound parameters ("p_" names): building and
# hashing a statement per call cost as much worker CPU as running it (bench/).
_STEP_WITH_TEMPLATE = (
    select(ScenarioStep, EmailTemplate)
    .outerjoin(EmailTemplate, EmailTemplate.id == ScenarioStep.template_id)
    .where(ScenarioStep.scenario_id == bindparam("p_scenario_id"), ScenarioStep.position == bindparam("p_position"))
)
_EVENT_COLUMNS = ("workflow_id", "step_position", "kind", "outcome", "reason", "recipient", "sender", "subject",
                  "idem_key", "occurred_at")
_EVENT = insert(RunEvent).values({name: bindparam(f"p_{name}") for name in _EVENT_COLUMNS})
# A no-op when the idempotency key is taken; RETURNING then gives no row.
_CLAIM = _EVENT.on_conflict_do_nothing().returning(RunEvent.id)
_THIS_RUN = update(DunningRun).where(DunningRun.workflow_id == bindparam("p_workflow_id"))
_STATE = _THIS_RUN.values(state=bindparam("p_state"), current_step=bindparam("p_position"))
# One statement, so the audit row and the run's state cannot disagree.
_SENT = _STATE.add_cte(update(RunEvent).where(RunEvent.idem_key == bindparam("p_key")).values(
    outcome="sent", provider_message_id=bindparam("p_message_id")).cte("sent"))
_FINISH = _THIS_RUN.values(
    state=RunState.ENDED, exit_reason=bindparam("p_reason"), exit_detail=bindparam("p_detail"),
    ended_at=bindparam("p_now"),
).add_cte(_CLAIM.cte("exited"))
# A no-op update on conflict makes RETURNING give the existing row: one round trip either way.
_RUN = insert(DunningRun).values(
    workflow_id=bindparam("p_workflow_id"), org_id=bindparam("p_org_id"), invoice_id=bindparam("p_invoice_id"),
    scenario_id=bindparam("p_scenario_id"), state=RunState.STARTING, started_at=bindparam("p_now"),
).on_conflict_do_update(
    index_elements=[DunningRun.workflow_id], set_={"workflow_id": DunningRun.workflow_id},
).returning(DunningRun.scenario_id, DunningRun.started_at)


class DunningActivities:
    def __init__(self, db: Database, mailer: SesMailer):
        self.db = db
        self.mailer = mailer

    @activity.defn
    async def begin_run(self, inp: BeginRunInput) -> RunPlan:
        """Record the run and freeze its plan; a retried or re-run start keeps the first scenario."""
        async with self.db.autocommit() as session:
            file = await _invoice_file(session, inp.org_slug, inp.invoice_number, with_contacts=False)
            org = file.org
            run = await _record_run(session, inp, file)
            if run is None:
                raise ApplicationError(
                    f"organisation {org.slug!r}: field default_scenario is empty, no scenario to run",
                    type="NoScenario", non_retryable=True,
                )
            plan = await build_plan(session, file, *run)
        log.info("run begun", org=org.slug, invoice=inp.invoice_number, scenario=plan.scenario_name)
        return plan

    @activity.defn
    async def check_invoice(self, inp: InvoiceCheckInput) -> InvoiceCheck:
        """Called when the run is told its invoice changed, so a payment ends it at once."""
        async with self.db.autocommit() as session:
            file = await _invoice_file(session, inp.org_slug, inp.invoice_number, with_contacts=False)
        return InvoiceCheck(rules.exit_reason(file.invoice, file.amount_due), str(file.amount_due))

    @activity.defn
    async def execute_step(self, inp: StepInput) -> StepOutcome:
        """Re-check the invoice, then send the email or create the task of one step."""
        async with self.db.autocommit() as session:
            file = await _invoice_file(session, inp.org_slug, inp.invoice_number)
            reason = rules.exit_reason(file.invoice, file.amount_due)
            if reason is not None:
                return StepOutcome(StepStatus.EXIT, reason)
            if not file.org.dunning_enabled:
                await _record(session, inp, kind="hold", outcome="held", reason="dunning switched off",
                              idem_key=f"{inp.workflow_id}:{inp.position}:hold")
                await _set_state(session, inp, RunState.HELD)
                return StepOutcome(StepStatus.HELD, "dunning switched off")
            # The step with its template in one query (compose then finds the template in the session).
            step, _ = (await session.exec(_STEP_WITH_TEMPLATE, params={
                "p_scenario_id": inp.scenario_id, "p_position": inp.position})).one()
            if timing.is_stale(_planned(step), file.invoice.due_date, inp.now, file.org.timezone):
                await _record(session, inp, kind="skip", outcome="skipped", reason=SkipReason.DUE_DATE_PASSED,
                              idem_key=f"{inp.workflow_id}:{inp.position}:skip")
                await _set_state(session, inp, RunState.WAITING)
                return StepOutcome(StepStatus.SKIPPED, SkipReason.DUE_DATE_PASSED)
            if step.kind == "action":
                return await _create_task(session, inp, file, step)
            prepared = await self._prepare_email(session, inp, file, step)
        if isinstance(prepared, StepOutcome):
            return prepared
        return await self._deliver(inp, prepared)

    async def _prepare_email(self, session: AsyncSession, inp: StepInput, file: repository.InvoiceFile,
                             step: ScenarioStep) -> StepOutcome | OutgoingEmail:
        """Everything up to the send: a final outcome when nothing is to be sent, else the email,
        claimed in the timeline (outcome 'sending') before it leaves. A step claimed already (a
        retried attempt) is never sent again: its first outcome stands."""
        key = f"{inp.workflow_id}:{inp.position}:email"
        composition = await compose_for_invoice(session, self.mailer, file, step, inp.now)
        if composition.reason == NotSentReason.SENDER_NOT_VERIFIED:
            # Retried later, never lost: each refusal is in the timeline.
            await _record(session, inp, kind="email", outcome="not_sent", reason=composition.reason,
                          sender=composition.sender)
            await _set_state(session, inp, RunState.BLOCKED)
            log.warning("reminder held: sender not verified", org=inp.org_slug, invoice=inp.invoice_number,
                        step=inp.position)
            return StepOutcome(StepStatus.BLOCKED, composition.detail)
        email = composition.email
        if email is None:
            claimed = await _record(session, inp, kind="email", outcome="not_sent", reason=composition.reason,
                                    idem_key=key, subject=composition.detail)
        else:
            claimed = await _record(session, inp, kind="email", outcome="sending", idem_key=key, recipient=email.to,
                                    sender=email.sender_address, subject=email.subject)
        if not claimed:
            return await _prior_outcome(session, inp, key)
        if email is None:
            await _set_state(session, inp, RunState.WAITING)
            log.warning("reminder not sent", reason=composition.reason, org=inp.org_slug,
                        invoice=inp.invoice_number, step=inp.position)
            return StepOutcome(StepStatus.DONE, composition.reason)
        return email

    async def _deliver(self, inp: StepInput, email: OutgoingEmail) -> StepOutcome:
        key = f"{inp.workflow_id}:{inp.position}:email"
        try:
            message_id = await self.mailer.send(email)
        except SenderNotVerified:
            async with self.db.session() as session:
                await session.exec(delete(RunEvent).where(RunEvent.idem_key == key))
                await _record(session, inp, kind="email", outcome="not_sent",
                              reason=NotSentReason.SENDER_NOT_VERIFIED, sender=email.sender_address)
                await _set_state(session, inp, RunState.BLOCKED)
            return StepOutcome(StepStatus.BLOCKED, f"{email.sender_address} is not a verified SES identity")
        except Exception:
            # SES did not take the message: release the claim so the retry sends it.
            async with self.db.autocommit() as session:
                await session.exec(delete(RunEvent).where(RunEvent.idem_key == key, RunEvent.outcome == "sending"))
            raise
        async with self.db.autocommit() as session:
            await session.exec(_SENT, params={"p_key": key, "p_message_id": message_id,
                                              **_state_params(inp, RunState.WAITING)})
        activity.metric_meter().create_counter(
            "relance_reminders_sent", "Reminder emails accepted by SES").add(1, {"org": inp.org_slug})
        log.info("reminder sent", org=inp.org_slug, invoice=inp.invoice_number, step=inp.position,
                 message_id=message_id)
        return StepOutcome(StepStatus.DONE, None, email.to, message_id)

    @activity.defn
    async def start_overdue_runs(self, inp: SweepInput) -> SweepResult:
        """Pages through the organisation's overdue invoices by id and starts a run for each."""
        after_id, result = resume()
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
        if not org.dunning_enabled:
            log.info("sweep skipped: dunning switched off", org=org.slug)
            return result
        today = calendar.local_today(inp.now, org.timezone)
        client = activity.client()
        while True:
            async with self.db.session() as session:
                page = await repository.overdue_without_run(session, org.id, today, after_id, PAGE_SIZE)
                refs = await repository.account_refs(session, {row.account_id for row in page})
            if not page:
                break
            for first in range(0, len(page), START_CONCURRENCY):
                chunk = page[first:first + START_CONCURRENCY]
                outcomes = await asyncio.gather(
                    *(start_dunning_run(client, inp.task_queue, org.slug, row.number, refs[row.account_id])
                      for row in chunk), return_exceptions=True)
                for row, outcome in zip(chunk, outcomes, strict=True):
                    if isinstance(outcome, BaseException):
                        # Resume right after the last start that went through in order.
                        activity.heartbeat(after_id, result.__dict__)
                        raise outcome
                    result.count(outcome)
                    after_id = row.id
                activity.heartbeat(after_id, result.__dict__)
        log.info("sweep done", org=org.slug, examined=result.examined, started=result.started)
        return result

    @activity.defn
    async def finish_run(self, inp: FinishRunInput) -> None:
        async with self.db.autocommit() as session:
            exited = _event_params(inp.workflow_id, None, kind="exit", outcome="exited", reason=inp.reason,
                                   subject=inp.detail, idem_key=f"{inp.workflow_id}:exit", now=inp.now)
            await session.exec(_FINISH, params={**exited, "p_detail": inp.detail, "p_now": inp.now})
        log.info("run finished", reason=inp.reason)


async def _invoice_file(session: AsyncSession, org_slug: str, number: str,
                        with_contacts: bool = True) -> repository.InvoiceFile:
    try:
        return await repository.invoice_file(session, org_slug, number, with_contacts)
    except repository.NotFound as exc:
        raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc


async def _record_run(session: AsyncSession, inp: BeginRunInput,
                      file: repository.InvoiceFile) -> tuple[int, datetime] | None:
    """The run's (scenario id, start), its row created on first call; None when there is no row and
    no default scenario to start one with."""
    scenario_id = file.org.default_scenario_id
    if scenario_id is None:
        run = await session.get(DunningRun, inp.workflow_id)
        return (run.scenario_id, run.started_at) if run else None
    row = (await session.exec(_RUN, params={
        "p_workflow_id": inp.workflow_id, "p_org_id": file.org.id, "p_invoice_id": file.invoice.id,
        "p_scenario_id": scenario_id, "p_now": inp.now})).one()
    return row.scenario_id, row.started_at


def _planned(step: ScenarioStep) -> PlannedStep:
    return PlannedStep(position=step.position, kind=step.kind, label=step.label, offset_days=step.offset_days)


async def _create_task(session: AsyncSession, inp: StepInput, file: repository.InvoiceFile,
                       step: ScenarioStep) -> StepOutcome:
    key = f"{inp.workflow_id}:{inp.position}:task"
    due_on = calendar.local_today(inp.now, file.org.timezone) + timedelta(days=step.task_due_days)
    await session.exec(insert(Task).values(
        org_id=file.org.id, invoice_id=file.invoice.id,
        assignee_user_id=step.task_assignee_user_id or file.org.default_sender_user_id,
        title=step.task_title or step.label, due_on=due_on, source_workflow_id=inp.workflow_id,
        idem_key=key, created_at=inp.now,
    ).on_conflict_do_nothing())
    await _record(session, inp, kind="action", outcome="created", idem_key=key, subject=step.task_title or step.label)
    await _set_state(session, inp, RunState.WAITING)
    log.info("task created", org=inp.org_slug, invoice=inp.invoice_number, step=inp.position)
    return StepOutcome(StepStatus.DONE)


async def _record(session: AsyncSession, inp: StepInput, *, kind: str, outcome: str, reason: str | None = None,
                  idem_key: str | None = None, recipient: str | None = None, sender: str | None = None,
                  subject: str | None = None) -> bool:
    """Append to the run's timeline; False when the idempotency key was taken already (a repeated
    decision, which writes nothing)."""
    if outcome == "not_sent":
        activity.metric_meter().create_counter(
            "relance_steps_not_sent", "Email steps not sent, by reason").add(1, {"reason": str(reason)})
    params = _event_params(inp.workflow_id, inp.position, kind=kind, outcome=outcome, reason=reason,
                           recipient=recipient, sender=sender, subject=subject, idem_key=idem_key, now=inp.now)
    if idem_key is None:
        await session.exec(_EVENT, params=params)
        return True
    return (await session.exec(_CLAIM, params=params)).first() is not None


def _event_params(workflow_id: str, position: int | None, *, kind: str, outcome: str, now: datetime,
                  reason: str | None = None, idem_key: str | None = None, recipient: str | None = None,
                  sender: str | None = None, subject: str | None = None) -> dict:
    return {"p_workflow_id": workflow_id, "p_step_position": position, "p_kind": kind, "p_outcome": outcome,
            "p_reason": reason, "p_recipient": recipient, "p_sender": sender, "p_subject": subject,
            "p_idem_key": idem_key, "p_occurred_at": now}


async def _prior_outcome(session: AsyncSession, inp: StepInput, key: str) -> StepOutcome:
    """The outcome of a step an earlier attempt claimed. A claim still 'sending' means that attempt
    died between SES and the audit row: SES may have the message, so it is marked uncertain, not resent."""
    prior = (await session.exec(select(RunEvent).where(RunEvent.idem_key == key))).one()
    reason = prior.reason
    if prior.outcome == "sending":
        reason = NotSentReason.DELIVERY_UNCERTAIN
        await session.exec(update(RunEvent).where(RunEvent.id == prior.id).values(outcome="uncertain", reason=reason))
        log.warning("delivery uncertain, not resending", org=inp.org_slug, invoice=inp.invoice_number,
                    step=inp.position)
    await _set_state(session, inp, RunState.WAITING)  # the earlier attempt may have died before it
    return StepOutcome(StepStatus.DONE, reason, prior.recipient, prior.provider_message_id)


def _state_params(inp: StepInput, state: RunState) -> dict:
    return {"p_workflow_id": inp.workflow_id, "p_state": state, "p_position": inp.position}


async def _set_state(session: AsyncSession, inp: StepInput, state: RunState) -> None:
    await session.exec(_STATE, params=_state_params(inp, state))
