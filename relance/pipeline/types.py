"""Inputs and results of an opportunity's workflow and its activities. One dataclass per call so
fields can be added without breaking running workflows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# An event caused by an automation carries the keys of the rules that led to it; a longer chain is a loop.
MAX_CAUSE_DEPTH = 3


class EventKind(StrEnum):
    OPPORTUNITY = "opportunity"  # its new state (stage, result, salesperson, amount): the transitions are derived
    QUOTE = "quote"  # a quote sent or reopened
    ACTION = "action"  # an action created or closed


@dataclass
class OppEvent:
    """An event as the workflow queues it: checked already (starter.pipeline), so only the fields the
    host gave, as text. `cause`: the rule keys whose automations led to it (empty for the host's)."""

    event_id: str
    kind: str
    changes: dict[str, str] = field(default_factory=dict)
    cause: list[str] = field(default_factory=list)
    rules_upto: int = 0  # the rule versions that existed when it was reported (the largest rule row id)
    wait: bool = False  # the caller waits for its automations to be done


@dataclass
class EventAck:
    """What reporting an event did: accepted (queued), duplicate (an id seen already), or, when the
    caller waited, handled with each automation's outcome."""

    event_id: str
    status: str
    outcomes: list[str] = field(default_factory=list)


@dataclass
class PendingRetry:
    idem_key: str
    by: str


@dataclass
class OpportunityInput:
    org_slug: str
    opportunity_ref: str
    seen: list[str] = field(default_factory=list)  # the last event ids handled (continue-as-new keeps them)
    pending: list[OppEvent] = field(default_factory=list)
    failed: list[PlannedAutomation] = field(default_factory=list)
    events_per_run: int = 500
    revision: int = 0


@dataclass
class ApplyInput:
    org_slug: str
    opportunity_ref: str
    event: OppEvent
    now: datetime


@dataclass
class PlannedAutomation:
    """One automation an event's rules call for, in order; `stopped` says why it does not run (a loop)."""

    idem_key: str
    rule_id: int
    rule_key: str
    rule_version: int
    position: int
    kind: str
    label: str
    event_id: str
    cause: list[str] = field(default_factory=list)
    stopped: str | None = None


@dataclass
class EventPlan:
    duplicate: bool
    transitions: list[str] = field(default_factory=list)
    automations: list[PlannedAutomation] = field(default_factory=list)
    stage: str = ""
    result: str = ""


@dataclass
class AutomationInput:
    org_slug: str
    opportunity_ref: str
    automation: PlannedAutomation
    now: datetime
    retry: bool = False


class AutomationState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass
class AutomationOutcome:
    state: str
    detail: str | None = None
    caused: OppEvent | None = None  # the event this automation caused (an action created)


@dataclass
class FailureInput:
    org_slug: str
    opportunity_ref: str
    automation: PlannedAutomation
    reason: str
    now: datetime


@dataclass
class RetryRequest:
    """Run a failed automation again (its idempotency key, as the timeline shows it)."""

    idem_key: str
    by: str = "ops"


@dataclass
class OpportunityStatus:
    handled: int
    queued: int
    failed: list[str]
    stage: str
    result: str
    busy: bool = False  # an event or a retry is being handled
