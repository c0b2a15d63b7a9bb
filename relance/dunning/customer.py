"""One email per customer: what an invoice's run hands to its account's workflow, and what comes back.

One dataclass per call so fields can be added without breaking running workflows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from relance.scenario.plan import StepOutcome


@dataclass
class GroupedStep:
    """An invoice's email step, due now, to go in its customer's email of the day."""

    invoice_workflow_id: str
    invoice_number: str
    scenario_id: int
    position: int


@dataclass
class CustomerInput:
    org_slug: str
    account_ref: str
    pending: list[GroupedStep] = field(default_factory=list)  # carried over a continue-as-new
    sent_days: list[str] = field(default_factory=list)


@dataclass
class BatchInput:
    org_slug: str
    account_ref: str
    steps: list[GroupedStep]
    now: datetime


@dataclass
class CheckedStep:
    step: GroupedStep
    exit_reason: str | None  # None: still to be chased; else why it is dropped (paid, ...)
    held: str | None = None  # dunning switched off: the step waits
    # An earlier email carried this step already (a step handed over twice, its first email gone and
    # answered): left out, never listed twice.
    settled: bool = False


@dataclass
class Batch:
    """The day's steps re-checked, the local day and when the next day's email may go."""

    day: str
    next_day_at: datetime
    checked: list[CheckedStep]


@dataclass
class SendBatchInput:
    workflow_id: str  # the customer's workflow
    org_slug: str
    account_ref: str
    day: str
    steps: list[GroupedStep]
    now: datetime
    resolving: bool = False


@dataclass
class GroupedAnswer:
    """What the customer's workflow tells an invoice's run about its step."""

    position: int
    outcome: StepOutcome


def ledger_key(workflow_id: str, day: str) -> str:
    """At most one email per customer and day: the key a retry or a crash finds taken."""
    return f"{workflow_id}:{day}:email"
