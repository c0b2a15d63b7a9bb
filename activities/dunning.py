"""The I/O of a dunning run: load its plan, re-check the invoice, send or record each step, finish.

Every decision is written to the run's timeline (RunEvent). Emails go through the send-once ledger
(relance.email.sending) and tasks are created once (relance.tasks), each under an idempotency key, so a
retried activity never sends or creates twice. What a step settled, and the run's end, are published
to the host's webhooks (relance.dunning.events) under the same keys: a retry publishes the same event.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog
from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.dunning_customer import join_customer_email
from activities.nightly import PAGE_SIZE, resume
from models import About, Account, DunningRun, EmailTemplate, Invoice, Organisation, RunEvent, ScenarioStep
from relance import calendar
from relance.db import Database
from relance.documents.storage import DocumentStore
from relance.dunning import assignment, events, repository, rules
from relance.dunning.compose import compose_for_invoice
from relance.dunning.customer import GroupedStep
from relance.dunning.plans import build_plan
from relance.dunning.starting import start_dunning_run
from relance.dunning.types import (
    BeginRunInput,
    FinishRunInput,
    InvoiceCheck,
    InvoiceCheckInput,
    PauseInput,
    Resume,
    RunPlan,
    SendNowInput,
    SignalRefusedInput,
    SkipReason,
    StepInput,
)
from relance.email import ledger
from relance.email.compose import NotSentReason
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.email.sending import SendResult, SendStatus, send_once
from relance.nightly import Candidate, PageRequest, StartRequest, SweepInput, SweepResult
from relance.scenario import timing
from relance.scenario.plan import PlannedStep, RunState, StepOutcome, StepStatus, step_number
from relance.tasks import create_task_once
from relance.webhooks import publishing
from relance.webhooks.publishing import Publisher

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
# The writes are on the tables, not the ORM classes: an ORM-enabled INSERT/UPDATE takes the session's
# bulk-DML path, which compiles an evaluator of the WHERE clause on every call (py-spy: ~8 % of the
# worker's samples); these activities read no row they then update.
_EVENTS, _RUNS = RunEvent.__table__, DunningRun.__table__
_EVENT_COLUMNS = ("workflow_id", "step_position", "kind", "outcome", "reason", "recipient", "sender", "subject",
                  "idem_key", "occurred_at")
_EVENT_VALUES = {name: bindparam(f"p_{name}") for name in _EVENT_COLUMNS}
_EVENT = insert(_EVENTS).values(_EVENT_VALUES)
# A no-op when the idempotency key is taken; RETURNING then gives no row.
_CLAIM = _EVENT.on_conflict_do_nothing().returning(_EVENTS.c.id)
_THIS_RUN = update(_RUNS).where(_RUNS.c.workflow_id == bindparam("p_workflow_id"))
_STATE = _THIS_RUN.values(state=bindparam("p_state"), current_step=bindparam("p_position"))
# A decision and the run's state in one statement, so they cannot disagree (written once per key).
_DECIDED = _STATE.add_cte(_EVENT.on_conflict_do_nothing().cte("decided"))
# The ledger's confirmation of a sent email also writes the timeline's row and the run's state.
# Its reason is how an uncertain send was settled (none for an ordinary send).
_SENT = ledger.confirm_with(_STATE, insert(_EVENTS).values(
    {**_EVENT_VALUES, "provider_message_id": ledger.MESSAGE_ID, "reason": ledger.RESOLUTION}).on_conflict_do_nothing())
# It answers what the run.ended event names (primary-key lookups in the same round trip).
_FINISH = _THIS_RUN.values(
    state=RunState.ENDED, exit_reason=bindparam("p_reason"), exit_detail=bindparam("p_detail"),
    ended_at=bindparam("p_now"),
).add_cte(_CLAIM.cte("exited")).returning(
    _RUNS.c.org_id,
    select(Organisation.slug).where(Organisation.id == _RUNS.c.org_id).scalar_subquery().label("org_slug"),
    select(Invoice.number).where(Invoice.id == _RUNS.c.invoice_id).scalar_subquery().label("invoice_number"),
    select(Account.ref).join(Invoice, Invoice.account_id == Account.id).where(Invoice.id == _RUNS.c.invoice_id)
    .scalar_subquery().label("account_ref"),
)
# A new life: running again, the last life's end kept in the timeline only. Once per life (a retry is a no-op).
_REOPEN = _THIS_RUN.where(_RUNS.c.life < bindparam("p_life")).values(
    life=bindparam("p_life"), state=RunState.STARTING, exit_reason=None, exit_detail=None, ended_at=None)
# The steps earlier lives settled (a keyed row), latest first.
_SETTLED = select(_EVENTS.c.kind, _EVENTS.c.step_position, _EVENTS.c.occurred_at).where(
    _EVENTS.c.workflow_id == bindparam("p_workflow_id"), _EVENTS.c.kind.in_(("email", "action", "skip")),
    _EVENTS.c.step_position.is_not(None), _EVENTS.c.idem_key.is_not(None)).order_by(_EVENTS.c.id.desc())
# A no-op update on conflict makes RETURNING give the existing row: one round trip either way.
_RUN = insert(_RUNS).values(
    workflow_id=bindparam("p_workflow_id"), org_id=bindparam("p_org_id"), invoice_id=bindparam("p_invoice_id"),
    scenario_id=bindparam("p_scenario_id"), scenario_choice=bindparam("p_choice"), state=RunState.STARTING,
    started_at=bindparam("p_now"),
).on_conflict_do_update(
    index_elements=[_RUNS.c.workflow_id], set_={"workflow_id": _RUNS.c.workflow_id},
).returning(_RUNS.c.scenario_id, _RUNS.c.started_at, _RUNS.c.scenario_choice)


class DunningActivities:
    def __init__(self, db: Database, mailer: SesMailer, webhooks: Publisher):
        self.db = db
        self.mailer = mailer
        self.webhooks = webhooks
        self.documents = DocumentStore(mailer.settings)  # the invoices' documents a step attaches

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
            if inp.life > 1:
                plan.life, plan.resume = inp.life, await _reopen(session, inp)
            if inp.requested_by:
                await session.exec(_CLAIM, params=_event_params(
                    inp.workflow_id, None, kind="request", outcome="applied", reason=f"asked by {inp.requested_by}",
                    idem_key=events.life_key(f"{inp.workflow_id}:applied", inp.life), now=inp.now))
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
        """Re-check the invoice, then send the email or create the task of one step, and tell the host
        what the step settled (also when a retry finds it settled: a crash before publishing loses
        no event, and the event's id keeps it from being told twice)."""
        async with self.db.autocommit() as session:
            file = await _invoice_file(session, inp.org_slug, inp.invoice_number)
            reason = rules.exit_reason(file.invoice, file.amount_due)
            if reason is not None:
                return StepOutcome(StepStatus.EXIT, reason)
            held = await record_hold(session, inp, file)
            if held is not None:
                return held
            # The step with its template in one query (compose then finds the template in the session).
            step, _ = (await session.exec(_STEP_WITH_TEMPLATE, params={
                "p_scenario_id": inp.scenario_id, "p_position": inp.position})).one()
            outcome = await self._settle(session, inp, file, step)
        if isinstance(outcome, StepOutcome) and outcome.grouped_in is not None:
            return outcome  # the customer's workflow answers the run, and its email is told then
        if isinstance(outcome, OutgoingEmail):
            outcome = await self._deliver(inp, file, outcome)
        event = events.of_step(inp, file, step, outcome)
        if event is not None:
            await self.webhooks.publish(event)
        return outcome

    async def _settle(self, session: AsyncSession, inp: StepInput, file: repository.InvoiceFile,
                      step: ScenarioStep) -> StepOutcome | OutgoingEmail:
        """Skip the step, create its task, or prepare its email."""
        if not inp.resolving and timing.is_stale(_planned(step), file.invoice.due_date, inp.now, file.org.timezone):
            await _decide(session, inp, RunState.WAITING, kind="skip", outcome="skipped",
                          reason=SkipReason.DUE_DATE_PASSED, idem_key=events.skip_key(inp))
            return StepOutcome(StepStatus.SKIPPED, SkipReason.DUE_DATE_PASSED)
        below = rules.below_minimum(file.amount_due, file.org.currency, file.org.dunning_minimums)
        if below is not None:
            await _decide(session, inp, RunState.WAITING, kind="skip", outcome="skipped", reason=below,
                          idem_key=events.skip_key(inp))
            return StepOutcome(StepStatus.SKIPPED, below)
        if step.kind == "action":
            return await _create_task(session, inp, file, step)
        if inp.customer_queue and file.org.dunning_one_email_per_customer and not inp.resolving:
            return await _join_customer_email(session, inp, file)
        return await self._prepare_email(session, inp, file, step)

    async def _prepare_email(self, session: AsyncSession, inp: StepInput, file: repository.InvoiceFile,
                             step: ScenarioStep) -> StepOutcome | OutgoingEmail:
        """Everything up to the send: a final outcome when nothing is to be sent, else the email. An
        email with nothing to send (no recipient, a template that fails) settles the step's key in
        the ledger, so a retried attempt keeps the first outcome."""
        composition = await compose_for_invoice(session, self.mailer, file, step, inp.now, self.documents)
        if composition.reason == NotSentReason.SENDER_NOT_VERIFIED:
            # Retried later, never lost: each refusal is in the timeline.
            return await _blocked(session, inp, composition.sender, composition.detail)
        email = composition.email
        if email is not None:
            return email
        claim = await ledger.record_not_sent(session, events.email_key(inp), _source(inp, file), composition.reason,
                                             inp.now, subject=composition.detail)
        if not claim.fresh:
            return await _prior_outcome(session, inp, SendResult(
                SendStatus(claim.state), claim.provider_message_id, claim.recipient, claim.reason, fresh=False),
                self.mailer.settle_after)
        await _decide(session, inp, RunState.WAITING, kind="email", outcome="not_sent", reason=composition.reason,
                      idem_key=events.email_key(inp), subject=composition.detail)
        log.warning("reminder not sent", reason=composition.reason, org=inp.org_slug,
                    invoice=inp.invoice_number, step=step_number(inp.position))
        return StepOutcome(StepStatus.DONE, composition.reason)

    async def _deliver(self, inp: StepInput, file: repository.InvoiceFile, email: OutgoingEmail) -> StepOutcome:
        key = events.email_key(inp)
        # A settled uncertain send gets a row of its own, after the one that said it was uncertain.
        sent = _event_params(inp.workflow_id, inp.position, kind="email", outcome="sent",
                             idem_key=f"{key}:resolved" if inp.resolving else key, recipient=email.to,
                             sender=email.sender_address, subject=email.subject, now=inp.now)
        result = await send_once(self.db, self.mailer, key, email, _source(inp, file), inp.now, confirm=_SENT,
                                 confirm_params={**sent, **_state_params(inp, RunState.WAITING)},
                                 resolve=inp.resolving)
        if result.resolution is not None:
            activity.metric_meter().create_counter(
                "relance_uncertain_sends_settled", "Uncertain sends settled, by how").add(
                1, {"how": result.resolution.value})
            log.info("uncertain send settled", how=result.resolution.value, org=inp.org_slug,
                     invoice=inp.invoice_number, step=inp.position, message_id=result.message_id)
        if result.status == SendStatus.SENDER_REFUSED:
            async with self.db.autocommit() as session:
                return await _blocked(session, inp, email.sender_address,
                                      f"{email.sender_address} is not a verified SES identity")
        if not result.fresh:
            async with self.db.autocommit() as session:
                return await _prior_outcome(session, inp, result, self.mailer.settle_after)
        activity.metric_meter().create_counter(
            "relance_reminders_sent", "Reminder emails accepted by SES").add(1, {"org": inp.org_slug})
        log.info("reminder sent", org=inp.org_slug, invoice=inp.invoice_number, step=step_number(inp.position),
                 message_id=result.message_id)
        return StepOutcome(StepStatus.DONE, None, email.to, result.message_id)

    @activity.defn
    async def start_overdue_runs(self, inp: SweepInput) -> SweepResult:
        """Pages through the organisation's overdue invoices by id and starts a run for each. Only for
        sweeps begun before the paged sweep (read_page_without_run, start_runs) came."""
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
    async def read_page_without_run(self, inp: PageRequest) -> list[Candidate]:
        """The next page (by id) of the organisation's invoices that should have a run and have none:
        overdue ones, or every open one when it applies dunning to new invoices. Empty when done."""
        async with self.db.session() as session:
            try:
                org = await repository.organisation(session, inp.org_slug)
            except repository.NotFound as exc:
                raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc
            if not org.dunning_enabled:
                log.info("sweep skipped: dunning switched off", org=org.slug)
                return []
            page = await repository.overdue_without_run(
                session, org.id, calendar.local_today(inp.now, org.timezone), inp.after_id, PAGE_SIZE,
                due_only=not org.dunning_apply_to_new_invoices)
            refs = await repository.account_refs(session, {row.account_id for row in page})
        return [Candidate(row.id, row.number, refs[row.account_id]) for row in page]

    @activity.defn
    async def start_runs(self, inp: StartRequest) -> SweepResult:
        """Start the page's runs, START_CONCURRENCY at a time. A record Temporal refuses (an id it cannot
        take) is skipped, logged and counted, and the rest go on; anything else fails the attempt, and
        the retry goes over the same page (what the first attempt started counts as started)."""
        result, retried, client = SweepResult(), activity.info().attempt > 1, activity.client()
        for first in range(0, len(inp.candidates), START_CONCURRENCY):
            chunk = inp.candidates[first:first + START_CONCURRENCY]
            outcomes = await asyncio.gather(
                *(start_dunning_run(client, inp.task_queue, inp.org_slug, c.number, c.customer_ref) for c in chunk),
                return_exceptions=True)
            for candidate, outcome in zip(chunk, outcomes, strict=True):
                if not isinstance(outcome, BaseException):
                    result.count(outcome, retried)
                elif _is_bad_record(outcome):
                    log.error("sweep skipped an invoice", org=inp.org_slug, invoice=candidate.number[:200],
                              error=str(outcome)[:300])
                    result.skip(f"invoice {candidate.number[:80]!r}: {str(outcome)[:200]}")
                else:
                    raise outcome
            activity.heartbeat(first)
        log.info("sweep page done", org=inp.org_slug, examined=result.examined, started=result.started,
                 skipped=result.skipped)
        return result

    @activity.defn
    async def record_signal_refused(self, inp: SignalRefusedInput) -> None:
        """A refused cancel goes into the run's timeline, where `relance show` and ops see it."""
        async with self.db.autocommit() as session:
            await session.exec(_CLAIM, params=_event_params(
                inp.workflow_id, None, kind="signal_rejected", outcome="refused", reason=f"{inp.signal}: {inp.problem}",
                idem_key=events.life_key(f"{inp.workflow_id}:refused:{inp.number}", inp.life), now=inp.now))
        log.warning("signal refused", signal=inp.signal, problem=inp.problem)

    @activity.defn
    async def record_send_now(self, inp: SendNowInput) -> None:
        """Someone asked for a step now: the timeline says who, before the step's own row."""
        async with self.db.autocommit() as session:
            await session.exec(_CLAIM, params=_event_params(
                inp.workflow_id, inp.position, kind="request", outcome="send_now", reason=f"asked by {inp.by}",
                idem_key=events.life_key(f"{inp.workflow_id}:send-now:{inp.number}", inp.life), now=inp.now))
        log.info("step asked to go now", position=inp.position)

    @activity.defn
    async def record_pause(self, inp: PauseInput) -> None:
        """A pause (promise to pay, dispute) or its early end: in the timeline, and the run's state."""
        state = RunState.PAUSED if inp.outcome == "paused" else RunState.WAITING
        async with self.db.autocommit() as session:
            await session.exec(_DECIDED, params={**_event_params(
                inp.workflow_id, inp.position, kind="pause", outcome=inp.outcome, reason=inp.reason,
                idem_key=events.life_key(f"{inp.workflow_id}:pause:{inp.number}", inp.life), now=inp.now),
                "p_state": state, "p_position": inp.position or 0})
        log.info("run " + inp.outcome, reason=inp.reason)

    @activity.defn
    async def finish_run(self, inp: FinishRunInput) -> None:
        async with self.db.autocommit() as session:
            exited = _event_params(inp.workflow_id, None, kind="exit", outcome="exited", reason=inp.reason,
                                   subject=inp.detail, idem_key=events.life_key(f"{inp.workflow_id}:exit", inp.life),
                                   now=inp.now)
            run = (await session.exec(_FINISH, params={**exited, "p_detail": inp.detail, "p_now": inp.now})).one()
            ended = events.run_ended(inp, run.org_id, run.org_slug, run.invoice_number, run.account_ref)
            pending = await publishing.record(session, ended)
        await self.webhooks.deliver(ended, pending)
        log.info("run finished", reason=inp.reason)


async def _invoice_file(session: AsyncSession, org_slug: str, number: str,
                        with_contacts: bool = True) -> repository.InvoiceFile:
    try:
        return await repository.invoice_file(session, org_slug, number, with_contacts)
    except repository.NotFound as exc:
        raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc


async def _record_run(session: AsyncSession, inp: BeginRunInput,
                      file: repository.InvoiceFile) -> tuple[int, datetime, str | None] | None:
    """The run's (scenario id, start, why that scenario), its row created on first call with the scenario
    assignment chooses; None when there is no row and no scenario to start one with."""
    choice = await assignment.choose(session, file.org, file.account, file.amount_due)
    if choice is None:
        run = await session.get(DunningRun, inp.workflow_id)
        return (run.scenario_id, run.started_at, run.scenario_choice) if run else None
    row = (await session.exec(_RUN, params={
        "p_workflow_id": inp.workflow_id, "p_org_id": file.org.id, "p_invoice_id": file.invoice.id,
        "p_scenario_id": choice.scenario_id, "p_choice": choice.why, "p_now": inp.now})).one()
    return row.scenario_id, row.started_at, row.scenario_choice


async def _reopen(session: AsyncSession, inp: BeginRunInput) -> Resume:
    """A new life of an ended run: its timeline says so (once), its row is running again, and it resumes
    after the last step an earlier life settled. Settled is what has a keyed row (sent, not sent,
    uncertain, created, skipped): a step in doubt is left to the send-once ledger, whose key is the
    same in every life, so it is never sent twice."""
    await session.exec(_CLAIM, params=_event_params(
        inp.workflow_id, None, kind="restart", outcome="restarted",
        reason=f"life {inp.life}: the invoice can be reminded again",
        idem_key=f"{inp.workflow_id}:life:{inp.life}", now=inp.now))
    await session.exec(_REOPEN, params={"p_workflow_id": inp.workflow_id, "p_life": inp.life})
    settled = (await session.exec(_SETTLED, params={"p_workflow_id": inp.workflow_id})).all()
    if not settled:
        return Resume(after_position=-1)
    paced = next((row for row in settled if row.kind != "skip"), None)
    return Resume(max(row.step_position for row in settled), paced.step_position if paced else None,
                  paced.occurred_at if paced else None)


def _planned(step: ScenarioStep) -> PlannedStep:
    return PlannedStep(position=step.position, kind=step.kind, label=step.label, offset_days=step.offset_days)


async def _create_task(session: AsyncSession, inp: StepInput, file: repository.InvoiceFile,
                       step: ScenarioStep) -> StepOutcome:
    key, task = events.task_key(inp), events.task_of(inp, file, step)
    await create_task_once(
        session, key, About("invoice", file.invoice.number), org_id=file.org.id, title=task.title,
        due_on=task.due_on, assignee_user_id=task.assignee_user_id, workflow_id=inp.workflow_id, now=inp.now)
    await _decide(session, inp, RunState.WAITING, kind="action", outcome="created", idem_key=key, subject=task.title)
    log.info("task created", org=inp.org_slug, invoice=inp.invoice_number, step=step_number(inp.position))
    return StepOutcome(StepStatus.DONE)


async def _join_customer_email(session: AsyncSession, inp: StepInput, file: repository.InvoiceFile) -> StepOutcome:
    """The organisation sends one email per customer: the step goes in its account's email of the day."""
    workflow_id = await join_customer_email(
        activity.client(), inp.customer_queue, inp.org_slug, file.account.ref,
        GroupedStep(inp.workflow_id, inp.invoice_number, inp.scenario_id, inp.position))
    await _decide(session, inp, RunState.WAITING, kind="email", outcome="grouped",
                  reason=f"goes in the customer's email of the day ({workflow_id})",
                  idem_key=f"{events.email_key(inp)}:grouped:{inp.now.isoformat()}")
    log.info("reminder joins the customer's email", org=inp.org_slug, invoice=inp.invoice_number,
             account=file.account.ref, step=step_number(inp.position))
    return StepOutcome(StepStatus.DONE, grouped_in=workflow_id)


def _source(inp: StepInput, file: repository.InvoiceFile) -> ledger.Source:
    return ledger.Source(file.org.id, inp.workflow_id, About("invoice", file.invoice.number))


async def _blocked(session: AsyncSession, inp: StepInput, sender: str | None, detail: str | None) -> StepOutcome:
    """The sender is not a verified identity: nothing claimed, the refusal in the timeline, retried later."""
    await _decide(session, inp, RunState.BLOCKED, kind="email", outcome="not_sent",
                  reason=NotSentReason.SENDER_NOT_VERIFIED, sender=sender)
    log.warning("reminder held: sender not verified", org=inp.org_slug, invoice=inp.invoice_number,
                step=step_number(inp.position))
    return StepOutcome(StepStatus.BLOCKED, detail)


async def record_hold(session: AsyncSession, inp: StepInput, file: repository.InvoiceFile) -> StepOutcome | None:
    """The step waits (dunning switched off, customer excluded): its timeline row and the run's state HELD
    (what wake_held_runs looks for), once per position and cause as the run waits through both; None: it may go."""
    held = rules.hold_reason(file.org, file.account)
    if held is None:
        return None
    cause = "" if not file.org.dunning_enabled else ":excluded"
    await _decide(session, inp, RunState.HELD, kind="hold", outcome="held", reason=held,
                  idem_key=events.life_key(f"{inp.workflow_id}:{inp.position}:hold{cause}", inp.life))
    return StepOutcome(StepStatus.HELD, held)


async def _decide(session: AsyncSession, inp: StepInput, state: RunState, **event) -> None:
    """A decision in the timeline (once per idempotency key) and the run's state, in one statement."""
    if event["outcome"] == "not_sent":
        activity.metric_meter().create_counter(
            "relance_steps_not_sent", "Email steps not sent, by reason").add(1, {"reason": str(event["reason"])})
    await session.exec(_DECIDED, params={**_event_params(inp.workflow_id, inp.position, now=inp.now, **event),
                                         **_state_params(inp, state)})


def _is_bad_record(error: BaseException) -> bool:
    """A start Temporal refuses for the record itself (an id too long, ...), as opposed to a failure
    that a retry cures (server unreachable, restarting)."""
    return isinstance(error, RPCError) and error.status == RPCStatusCode.INVALID_ARGUMENT or \
        isinstance(error, ValueError | TypeError)


def _event_params(workflow_id: str, position: int | None, *, kind: str, outcome: str, now: datetime,
                  reason: str | None = None, idem_key: str | None = None, recipient: str | None = None,
                  sender: str | None = None, subject: str | None = None) -> dict:
    return {"p_workflow_id": workflow_id, "p_step_position": position, "p_kind": kind, "p_outcome": outcome,
            "p_reason": reason, "p_recipient": recipient, "p_sender": sender, "p_subject": subject,
            "p_idem_key": idem_key, "p_occurred_at": now}


async def _prior_outcome(session: AsyncSession, inp: StepInput, prior: SendResult,
                         settle_after: float | None) -> StepOutcome:
    """The outcome of a step an earlier attempt settled in the ledger, or SES refused for good. An
    attempt that died between the claim and SES's answer left it uncertain: the run asks again after
    the reconciliation window, when SES's events settle it. The timeline says so once."""
    uncertain = prior.status == SendStatus.UNCERTAIN
    if uncertain:
        activity.metric_meter().create_counter(
            "relance_sends_uncertain", "Sends found uncertain (a worker died mid-send)").add(1)
        log.warning("delivery uncertain, settled after the reconciliation window", org=inp.org_slug,
                    invoice=inp.invoice_number, step=step_number(inp.position), window_s=settle_after)
    # The earlier attempt may have died before its timeline row and the run's state; settling an
    # uncertain send adds a row after the one that said so.
    key = f"{events.email_key(inp)}:resolved" if inp.resolving else events.email_key(inp)
    await session.exec(_DECIDED, params={**_event_params(
        inp.workflow_id, inp.position, kind="email", outcome=prior.status.value, reason=prior.reason,
        recipient=prior.recipient, idem_key=key, now=inp.now), **_state_params(inp, RunState.WAITING)})
    return StepOutcome(StepStatus.DONE, prior.reason, prior.recipient, prior.message_id,
                       resolve_after=settle_after if uncertain else None)


def _state_params(inp: StepInput, state: RunState) -> dict:
    return {"p_workflow_id": inp.workflow_id, "p_state": state, "p_position": inp.position}
