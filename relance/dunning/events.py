"""What a dunning run tells the host application (webhooks): a reminder sent or not, a task created,
the run ended. Each event is keyed by the idempotency key of what happened, so the retry of an
activity (whatever it finds already done) publishes the same event, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from models import ScenarioStep, StepKind
from relance import calendar
from relance.dunning.repository import InvoiceFile
from relance.dunning.types import FinishRunInput, StepInput
from relance.scenario.plan import StepOutcome, StepStatus, step_number
from relance.webhooks import events
from relance.webhooks.publishing import Event


@dataclass(frozen=True)
class TaskOfStep:
    title: str
    due_on: date
    assignee_user_id: int | None


def task_of(inp: StepInput, file: InvoiceFile, step: ScenarioStep) -> TaskOfStep:
    return TaskOfStep(step.task_title or step.label,
                      calendar.local_today(inp.now, file.org.timezone) + timedelta(days=step.task_due_days),
                      step.task_assignee_user_id or file.org.default_sender_user_id)


def life_key(key: str, life: int) -> str:
    """The key of a run's own decision (hold, exit, request...) in its `life`: each life records its own.
    A step's email, task and skip keys stay the same in every life: the ledger sends a step once."""
    return key if life == 1 else f"{key}:life{life}"


def email_key(inp: StepInput) -> str:
    return f"{inp.workflow_id}:{inp.position}:email"


def skip_key(inp: StepInput) -> str:
    return f"{inp.workflow_id}:{inp.position}:skip"


def task_key(inp: StepInput) -> str:
    return f"{inp.workflow_id}:{inp.position}:task"


def of_step(inp: StepInput, file: InvoiceFile, step: ScenarioStep, outcome: StepOutcome) -> Event | None:
    """The event of a step settled (sent, not sent, skipped, task created); None while it is not
    (held, blocked, uncertain until settled) or when the run exits instead. Steps are named by their
    number as authored (from 1)."""
    about = {**_invoice(inp.workflow_id, inp.org_slug, inp.invoice_number, file.account.ref),
             "step": {"number": step_number(inp.position), "name": step.label}}
    if step.kind == StepKind.ACTION and outcome.status == StepStatus.DONE:
        task = task_of(inp, file, step)
        data = {**about, "title": task.title, "due_on": task.due_on.isoformat(),
                "assignee_user_id": task.assignee_user_id}
        return Event(file.org.id, inp.org_slug, events.TASK_CREATED, task_key(inp), data, inp.now)
    if step.kind != StepKind.EMAIL:
        return None
    if outcome.status == StepStatus.SKIPPED:
        data = {**about, "recipient": None, "reason": outcome.reason}
        return Event(file.org.id, inp.org_slug, events.REMINDER_NOT_SENT, skip_key(inp), data, inp.now)
    if outcome.status != StepStatus.DONE or outcome.resolve_after is not None:
        return None  # not settled yet: an uncertain send is told once SES's record settles it
    if outcome.reason is None:
        data = {**about, "recipient": outcome.recipient, "message_id": outcome.message_id}
        return Event(file.org.id, inp.org_slug, events.REMINDER_SENT, email_key(inp), data, inp.now)
    data = {**about, "recipient": outcome.recipient, "reason": outcome.reason}
    return Event(file.org.id, inp.org_slug, events.REMINDER_NOT_SENT, email_key(inp), data, inp.now)


def run_ended(inp: FinishRunInput, org_id: int, org_slug: str, invoice_number: str, account_ref: str) -> Event:
    data = {**_invoice(inp.workflow_id, org_slug, invoice_number, account_ref), "exit_reason": str(inp.reason),
            "detail": inp.detail}
    return Event(org_id, org_slug, events.RUN_ENDED, life_key(f"run.ended:{inp.workflow_id}", inp.life), data, inp.now)


def _invoice(workflow_id: str, org_slug: str, invoice_number: str, account_ref: str) -> dict:
    return {"organisation": org_slug, "invoice_number": invoice_number, "account": account_ref,
            "workflow_id": workflow_id}
