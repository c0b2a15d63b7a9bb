"""The I/O of one email per customer: an invoice's step joins its account's workflow; that workflow
re-checks the day's invoices, sends the one email through the send-once ledger (key: customer and day)
and writes each invoice's timeline row naming it. A customer statement goes through the same path."""

from __future__ import annotations

from datetime import time, timedelta

import structlog
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.client import Client

from activities import dunning as invoice_steps  # a module: it imports this one (join_customer_email)
from models import About, DunningRun, RunEvent, ScenarioStep
from relance import calendar
from relance.db import Database
from relance.documents import library
from relance.documents.storage import DocumentStore
from relance.dunning import events, grouped_documents, listing, repository, rules
from relance.dunning.customer import (
    Batch,
    BatchInput,
    CheckedStep,
    CustomerInput,
    GroupedStep,
    SendBatchInput,
    ledger_key,
)
from relance.dunning.ids import CUSTOMER_WORKFLOW, customer_workflow_id
from relance.dunning.types import StepInput
from relance.email import ledger
from relance.email.compose import Composition, NotSentReason
from relance.email.mailer import SesMailer
from relance.email.sending import SendStatus, send_once
from relance.opening import holidays_of, weekdays_of
from relance.scenario.plan import RunState, StepOutcome, StepStatus
from relance.webhooks.publishing import Publisher

log = structlog.get_logger("relance.dunning.customer")

# An invoice's timeline row for its step's email, written once per invoice and step: the row an
# ordinary send writes (same key), naming the customer's email it went in.
_EVENTS = RunEvent.__table__
_STEP_EMAIL = insert(_EVENTS).values(
    workflow_id=bindparam("p_workflow_id"), step_position=bindparam("p_position"), kind="email",
    outcome=bindparam("p_outcome"), reason=bindparam("p_reason"), recipient=bindparam("p_recipient"),
    sender=bindparam("p_sender"), subject=bindparam("p_subject"), provider_message_id=bindparam("p_message_id"),
    idem_key=bindparam("p_idem_key"), occurred_at=bindparam("p_now")).on_conflict_do_nothing()


def step_email_key(step: GroupedStep) -> str:
    """The key of the step's own email row in its run's timeline (activities/dunning.py writes the same)."""
    return f"{step.invoice_workflow_id}:{step.position}:email"


async def join_customer_email(client: Client, task_queue: str, org_slug: str, account_ref: str,
                              step: GroupedStep) -> str:
    """Hand the step to the account's workflow, starting it if it is not running (signal-with-start: one
    workflow per account, whoever comes first). Answers that workflow's id."""
    workflow_id = customer_workflow_id(org_slug, account_ref)
    await client.start_workflow(CUSTOMER_WORKFLOW, CustomerInput(org_slug, account_ref), id=workflow_id,
                                task_queue=task_queue, start_signal="step_due", start_signal_args=[step],
                                static_summary=f"One email a day to customer {account_ref} ({org_slug})")
    return workflow_id


class CustomerDunningActivities:
    def __init__(self, db: Database, mailer: SesMailer, webhooks: Publisher):
        self.db = db
        self.mailer = mailer
        self.webhooks = webhooks
        self.documents = DocumentStore(mailer.settings)  # the listed invoices' documents

    @activity.defn
    async def check_batch(self, inp: BatchInput) -> Batch:
        """Re-check each invoice just before the email: a paid one (or one whose run ended meanwhile) is
        dropped; one whose run was paused meanwhile (promise to pay, dispute), or whose customer was
        excluded, or all when dunning is switched off, is held: left out, its run then follows its pause
        or waits for the exclusion's lifting. Also the local day, and when the next
        day's email may go (the next opening of the window after midnight)."""
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
            checked = []
            for step in inp.steps:
                file = await repository.invoice_file(session, inp.org_slug, step.invoice_number, with_contacts=False)
                reason = rules.exit_reason(file.invoice, file.amount_due)
                run = await session.get(DunningRun, step.invoice_workflow_id)
                if reason is None and run is not None and run.exit_reason:
                    reason = run.exit_reason
                held = None if reason is not None else await _held(session, inp, step, file, run)
                settled = (await session.exec(select(RunEvent.id).where(
                    RunEvent.idem_key == step_email_key(step)))).first() is not None
                checked.append(CheckedStep(step, reason and str(reason), held, settled))
        today = calendar.local_today(inp.now, org.timezone)
        opening = calendar.Opening(org.send_window_start, org.send_window_end, weekdays_of(org), *holidays_of(org))
        next_day = calendar.next_opening(calendar.at_local(today + timedelta(days=1), time(0), org.timezone), opening,
                                         org.timezone)
        return Batch(today.isoformat(), next_day, checked)

    @activity.defn
    async def send_batch(self, inp: SendBatchInput) -> StepOutcome:
        """The customer's one email of the day, listing the steps' invoices, under the key of the customer
        and the day: a retried attempt (or one after a crash) answers the first outcome, never sends
        again. Each invoice's timeline gets the row of its step's email, naming this one."""
        key = ledger_key(inp.workflow_id, inp.day)
        async with self.db.autocommit() as session:
            files = sorted([await repository.invoice_file(session, inp.org_slug, s.invoice_number) for s in inp.steps],
                           key=lambda f: (f.invoice.due_date, f.invoice.number))
            org, account, first = files[0].org, files[0].account, files[0].invoice
            source = ledger.Source(org.id, inp.workflow_id, About("account", account.ref))
            steps = await _steps(session, inp.steps)
            documents, left_out = await grouped_documents.chosen(
                session, [(f, steps[f.invoice.number]) for f in files])
            lines = [listing.line_of(f.invoice, f.paid, org.currency) for f in files]
            composition = await listing.compose_listing(session, self.mailer, org, account, files[0].contacts, first,
                                                        lines, inp.now, kind="reminder",
                                                        step=steps[inp.steps[0].invoice_number], not_attached=left_out)
            if composition.email is not None and documents:
                try:
                    composition.email.attachments = await library.attachments(self.documents, documents)
                except library.Unavailable as exc:
                    composition = Composition(None, NotSentReason.ATTACHMENT_MISSING, str(exc)[:500],
                                              composition.email.sender_address)
            if composition.reason == NotSentReason.SENDER_NOT_VERIFIED:
                return StepOutcome(StepStatus.BLOCKED, composition.detail)
            if composition.email is None:
                claim = await ledger.record_not_sent(session, key, source, composition.reason, inp.now,
                                                     subject=composition.detail)
                outcome = StepOutcome(StepStatus.DONE, claim.reason, claim.recipient, claim.provider_message_id)
                await _record(session, inp, key, outcome, claim.state, None, None)
                return outcome
        email = composition.email
        result = await send_once(self.db, self.mailer, key, email, source, inp.now, resolve=inp.resolving)
        if result.status == SendStatus.SENDER_REFUSED:
            return StepOutcome(StepStatus.BLOCKED, f"{email.sender_address} is not a verified SES identity")
        if result.status == SendStatus.UNCERTAIN:
            return StepOutcome(StepStatus.DONE, result.reason, result.recipient, resolve_after=self.mailer.settle_after)
        outcome = StepOutcome(StepStatus.DONE, None if result.status == SendStatus.SENT else result.reason,
                              result.recipient, result.message_id)
        async with self.db.autocommit() as session:
            await _record(session, inp, key, outcome, result.status.value, email.sender_address, email.subject)
        await self._tell(inp, {f.invoice.number: f for f in files}, outcome)
        log.info("customer email settled", org=inp.org_slug, account=inp.account_ref, status=result.status.value,
                 invoices=len(inp.steps), message_id=result.message_id)
        return outcome


    async def _tell(self, inp: SendBatchInput, files: dict[str, repository.InvoiceFile], outcome: StepOutcome) -> None:
        """Each invoice's reminder.sent (or not_sent) event, as its own send would have told it."""
        async with self.db.session() as session:
            steps = await _steps(session, inp.steps)
            for grouped in inp.steps:
                event = events.of_step(StepInput(grouped.invoice_workflow_id, inp.org_slug, grouped.invoice_number,
                                                 grouped.scenario_id, grouped.position, inp.now),
                                       files[grouped.invoice_number], steps[grouped.invoice_number], outcome)
                if event is not None:
                    await self.webhooks.publish(event)


async def _steps(session: AsyncSession, grouped: list[GroupedStep]) -> dict[str, ScenarioStep]:
    """Each invoice's scenario step, by invoice number (what it attaches, who signs)."""
    found = {}
    for step in grouped:
        found[step.invoice_number] = (await session.exec(select(ScenarioStep).where(
            ScenarioStep.scenario_id == step.scenario_id, ScenarioStep.position == step.position))).one()
    return found


async def _held(session: AsyncSession, inp: BatchInput, step: GroupedStep, file: repository.InvoiceFile,
                run: DunningRun | None) -> str | None:
    """Why the step waits instead of going in the email: a pause recorded on its run since it was handed
    over, or the organisation's or customer's hold (its timeline row and the run's state HELD written as
    for a step of its own, so lifting an exclusion wakes it)."""
    if run is not None and run.state == RunState.PAUSED:
        return "paused (promise to pay or dispute): the step goes when the pause ends"
    as_own = StepInput(step.invoice_workflow_id, inp.org_slug, step.invoice_number, step.scenario_id, step.position,
                       inp.now, life=run.life if run else 1)
    held = await invoice_steps.record_hold(session, as_own, file)
    return held.reason if held else None


async def _record(session: AsyncSession, inp: SendBatchInput, key: str, outcome: StepOutcome, status: str,
                  sender: str | None, subject: str | None) -> None:
    """Each invoice's row for its step, keyed as the step's own email: written once, whoever retries."""
    numbers = ", ".join(sorted(s.invoice_number for s in inp.steps))
    named = (f"{outcome.reason}; " if outcome.reason else "") + f"in the customer's email {key} ({numbers})"
    for step in inp.steps:
        await session.exec(_STEP_EMAIL, params={
            "p_workflow_id": step.invoice_workflow_id, "p_position": step.position, "p_outcome": status,
            "p_reason": named,
            "p_recipient": outcome.recipient, "p_sender": sender, "p_subject": subject,
            "p_message_id": outcome.message_id, "p_idem_key": step_email_key(step),
            "p_now": inp.now})
