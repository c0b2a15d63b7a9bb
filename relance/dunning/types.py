"""Inputs, results and vocabulary of a dunning run, shared by the workflow, its activities and callers.

One dataclass per call so fields can be added without breaking running workflows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from relance.scenario.plan import PlannedStep


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


class SkipReason(StrEnum):
    DUE_DATE_PASSED = "due_date_passed"  # a "before the due date" step reached after it
    BELOW_MINIMUM = "below_minimum"  # the amount due is under the organisation's minimum for its currency


# An ended run starts again (a new life, same workflow id) when its invoice becomes remindable again.
RESTARTABLE = frozenset({ExitReason.IN_PAYMENT, ExitReason.DO_NOT_REMIND, ExitReason.PAYMENT_SCHEDULE})


class PauseReason(StrEnum):
    PROMISE_TO_PAY = "promise_to_pay"  # resumes at the date unless paid meanwhile
    DISPUTE = "dispute"  # resumes at the date, or when the dispute is resolved (resume)


@dataclass
class PauseRequest:
    """Pause a run until `until` (YYYY-MM-DD, in the organisation's zone); checked by the run against its
    business time (tomorrow at the earliest, a year ahead at most)."""

    until: str
    reason: str
    by: str
    note: str = ""


@dataclass
class ResumeRequest:
    """End a pause now (a dispute resolved)."""

    by: str
    note: str = ""


@dataclass
class PauseAnswer:
    paused_until: datetime  # the pause ends at the start of that day, in the organisation's zone
    resumes_at: datetime  # when the step waited for then goes (its send window, the scenario's spacing)


@dataclass
class Resume:
    """Where a new life of a run starts: after the last step an earlier life settled (`after_position`),
    spaced from the last email or action it did (`paced_position` at `paced_at`)."""

    after_position: int
    paced_position: int | None = None
    paced_at: datetime | None = None
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
    holiday_country: str | None = None  # plans frozen before holidays closed windows have none
    holiday_subdivision: str | None = None
    scenario_choice: str | None = None  # why this scenario (relance.dunning.assignment); None before it came
    # The organisation sent one email per customer when the run started: its email steps may go in the
    # customer's email of the day (workflows/dunning_customer.py); other runs never pay for the hand-over.
    one_email_per_customer: bool = False
    life: int = 1
    resume: Resume | None = None  # a life after the first: where it starts

    @property
    def anchor_date(self) -> date:
        """The date the scenario's offsets count from."""
        return self.due_date


@dataclass
class DunningInput:
    org_slug: str
    invoice_number: str
    revision: int = 0  # the workflow code revision that started the run (workflows/versions.py)
    requested_by: str | None = None  # who applied the scenario to this invoice by hand (its timeline says so)
    life: int = 1  # 2, 3...: the run started again after it ended (starter.dunning.restart_if_remindable)


@dataclass
class BeginRunInput:
    workflow_id: str
    org_slug: str
    invoice_number: str
    now: datetime
    requested_by: str | None = None
    life: int = 1


@dataclass
class StepInput:
    workflow_id: str
    org_slug: str
    invoice_number: str
    scenario_id: int
    position: int
    now: datetime
    # The step's email was left uncertain and the reconciliation window has passed: settle it.
    resolving: bool = False
    # The run's task queue, for the customer's workflow when the organisation sends one email per
    # customer; None: the run predates that (it sends on its own).
    customer_queue: str | None = None
    life: int = 1


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
    life: int = 1


@dataclass
class SendNowInput:
    """Someone asked for the step waited for to go now: `number` keys its timeline row once."""

    workflow_id: str
    position: int
    by: str
    number: int
    now: datetime
    life: int = 1


@dataclass
class PauseInput:
    """A pause or its end, for the run's timeline and state: `number` keys its row once per life."""

    workflow_id: str
    position: int | None
    outcome: str  # paused | resumed
    reason: str
    number: int
    now: datetime
    life: int = 1


@dataclass
class SignalRefusedInput:
    """A message the run refused (a malformed cancel), for its timeline: `number` keys it once."""

    workflow_id: str
    signal: str
    problem: str
    number: int
    now: datetime
    life: int = 1


@dataclass
class RunProgress:
    """What a forecast needs to replay the rest of a run with the workflow's own timing code."""

    plan: RunPlan
    index: int | None
    next_at: datetime | None
    previous_position: int | None = None
    previous_done_at: datetime | None = None
    previous_ideal_at: datetime | None = None


@dataclass
class RunResult:
    reason: ExitReason
    detail: str | None
    emails_sent: int
    steps_done: int
