"""Inputs, results and vocabulary of a dunning run, shared by the workflow, its activities and callers.

One dataclass per call so fields can be added without breaking running workflows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum


class ExitReason(StrEnum):
    """Why a run ended; every run ends with exactly one (SPEC rule 4)."""

    COMPLETED = "completed"
    PAID = "paid"
    IN_PAYMENT = "in_payment"
    DO_NOT_REMIND = "do_not_remind"
    PAYMENT_SCHEDULE = "payment_schedule"
    INVOICE_CANCELLED = "invoice_cancelled"
    CANCELLED = "cancelled"
    SENDER_NOT_VERIFIED = "sender_not_verified"


class NotSentReason(StrEnum):
    NO_RECIPIENT = "no_recipient"
    SENDER_NOT_VERIFIED = "sender_not_verified"
    TEMPLATE_ERROR = "template_error"
    DELIVERY_UNCERTAIN = "delivery_uncertain"  # a worker died between SES and the audit row: never resent
    DUE_DATE_PASSED = "due_date_passed"  # a "before the due date" step reached after it


class RunState(StrEnum):
    """Values of the RelanceState search attribute."""

    STARTING = "starting"
    WAITING = "waiting"
    HELD = "held"  # dunning switched off for the organisation
    BLOCKED = "blocked"  # sender address not a verified SES identity
    ENDED = "ended"


class StepStatus(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    EXIT = "exit"
    HELD = "held"
    BLOCKED = "blocked"


@dataclass
class PlannedStep:
    """A frozen copy of a scenario step: the run keeps the version it started with."""

    position: int
    kind: str
    label: str
    offset_days: int | None = None
    pause_days: int = 0
    window_start: time = time(9, 0)
    window_end: time = time(18, 0)


@dataclass
class RunPlan:
    org_slug: str
    invoice_number: str
    customer_ref: str
    scenario_id: int
    scenario_name: str
    timezone: str
    due_date: date
    started_at: datetime
    steps: list[PlannedStep] = field(default_factory=list)


@dataclass
class DunningInput:
    org_slug: str
    invoice_number: str
    revision: int = 0  # the workflow code revision that started the run (workflows/versions.py)


@dataclass
class BeginRunInput:
    workflow_id: str
    org_slug: str
    invoice_number: str
    now: datetime


@dataclass
class StepInput:
    workflow_id: str
    org_slug: str
    invoice_number: str
    scenario_id: int
    position: int
    now: datetime


@dataclass
class StepOutcome:
    status: StepStatus
    reason: str | None = None
    recipient: str | None = None
    message_id: str | None = None
    detail: str | None = None


@dataclass
class InvoiceCheckInput:
    org_slug: str
    invoice_number: str


@dataclass
class InvoiceCheck:
    exit_reason: ExitReason | None
    amount_due: str


@dataclass
class FinishRunInput:
    workflow_id: str
    reason: ExitReason
    detail: str | None
    now: datetime


@dataclass
class CancelRequest:
    reason: str
    by: str


@dataclass
class RunStatus:
    state: RunState
    step_position: int | None
    step_label: str | None
    next_at: datetime | None
    exit_reason: ExitReason | None = None
    exit_detail: str | None = None
    emails_sent: int = 0


@dataclass
class RunProgress:
    """What a forecast needs to replay the rest of a run with the workflow's own timing code."""

    plan: RunPlan
    index: int | None
    next_at: datetime | None
    previous_position: int | None = None
    previous_done_at: datetime | None = None
    previous_delay_seconds: float = 0.0


@dataclass
class RunResult:
    reason: ExitReason
    detail: str | None
    emails_sent: int
    steps_done: int


@dataclass
class SweepRequest:
    org_slug: str


@dataclass
class SweepInput:
    org_slug: str
    now: datetime
    task_queue: str


@dataclass
class SweepResult:
    """What a nightly job found (overdue invoices without a run, or renewal notices due) and started."""

    examined: int = 0
    started: int = 0
    already_known: int = 0

    def count(self, handle: object | None) -> None:
        """One workflow to start: `handle` is None when its id had a run already."""
        self.examined += 1
        if handle is None:
            self.already_known += 1
        else:
            self.started += 1
