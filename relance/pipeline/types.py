"""Inputs and results of an opportunity's workflow and its activities. One dataclass per call so
fields can be added without breaking running workflows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# An event caused by an automation carries the keys of the rules that led to it; a longer chain is a loop.
MAX_CAUSE_DEPTH = 3
# A custom field the host sends travels in an event's changes as custom.<name> (conditions name it so).
CUSTOM = "custom."


class EventKind(StrEnum):
    OPPORTUNITY = "opportunity"  # its new state (stage, result, salesperson, amount): the transitions are derived
    QUOTE = "quote"  # a quote sent or reopened
    ACTION = "action"  # an action created or closed
    TIME = "time"  # a time trigger's moment came (issue 26): raised by the opportunity's own workflow


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
class Moment:
    """A time trigger's moment for this opportunity as it is now (N days in its stage, before or after its
    close date, after its result): its event id names the trigger and the anchor, so it fires once."""

    event_id: str
    due: datetime
    changes: dict[str, str] = field(default_factory=dict)
    label: str = ""


@dataclass
class Waiting:
    """The rest of one rule's automations for one event, after its wait: they go on at `due` if the wait's
    condition (its rule version's) still holds then."""

    due: datetime
    wait: PlannedAutomation
    rest: list[PlannedAutomation] = field(default_factory=list)


@dataclass
class ResumeInput:
    org_slug: str
    opportunity_ref: str
    waiting: Waiting
    now: datetime


@dataclass
class OpportunityInput:
    org_slug: str
    opportunity_ref: str
    seen: list[str] = field(default_factory=list)  # the last event ids handled (continue-as-new keeps them)
    pending: list[OppEvent] = field(default_factory=list)
    failed: list[PlannedAutomation] = field(default_factory=list)
    events_per_run: int = 500
    revision: int = 0
    moments: list[Moment] = field(default_factory=list)  # the time triggers pending (continue-as-new keeps them)
    waits: list[Waiting] = field(default_factory=list)  # the waits inside rules in flight (idem)


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
    moments: list[Moment] = field(default_factory=list)  # the time triggers pending once it is applied


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
    until: datetime | None = None  # a wait's end: the rule's next automations go on then


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
    moments: list[str] = field(default_factory=list)  # the time triggers pending: "<due ISO> <label>"
    waits: list[str] = field(default_factory=list)  # the waits in flight: "<due ISO> <rule> #<n>"


@dataclass
class HostCallInput:
    """One call_host automation's signed POST (relance.pipeline.host_call): the same body on every attempt."""

    org_slug: str
    opportunity_ref: str
    idem_key: str  # the automation's: the call's webhook-id, and its row on the timeline
    endpoint_id: int
    body: str  # the signed JSON, as sent
    label: str  # "rule won-call v2 #1", for logs and summaries


@dataclass
class HostCallAnswer:
    status: int
    latency_ms: int
    attempt: int


@dataclass
class HostCallEnd:
    """What the call came to, written on the automation's timeline line at `now`."""

    inp: HostCallInput
    now: datetime
    answer: HostCallAnswer | None = None
    failure: str | None = None
