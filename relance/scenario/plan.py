"""The vocabulary every scenario walk shares, whatever the domain: the frozen steps of a plan, what
one step did, the run's state as ops see it (the RelanceState search attribute), a cancel request.

One dataclass per call so fields can be added without breaking running workflows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Protocol

from relance.calendar import ALL_DAYS


class RunState(StrEnum):
    """Values of the RelanceState search attribute."""

    STARTING = "starting"
    WAITING = "waiting"
    HELD = "held"  # the domain switched off (dunning off for the organisation, ...)
    BLOCKED = "blocked"  # sender address not a verified SES identity
    PAUSED = "paused"  # until a date someone gave (dunning: a promise to pay, a dispute)
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
    # Days of the week the window opens (Monday = 0). Plans frozen before weekdays existed open daily.
    weekdays: tuple[int, ...] = ALL_DAYS


def step_number(position: int, first: int = 1) -> int:
    """The number people know a step by: its place in the scenario as they authored it (the import
    file's list, `scenario show`), counted from 1, pauses included. Positions stored and passed
    between activities stay 0-based; everything a person reads goes through here. `first=0` only
    for runs started before this numbering (workflows/versions.py `step_numbering`)."""
    return position + first


def step_name(position: int, label: str, first: int = 1) -> str:
    """"4. Deuxième relance": the RelanceStep search attribute, summaries, details and CLI lines."""
    return f"{step_number(position, first)}. {label}"


@dataclass
class StepOutcome:
    status: StepStatus
    reason: str | None = None
    recipient: str | None = None
    message_id: str | None = None
    detail: str | None = None
    # The step's email is uncertain (a worker died mid-send): ask again, resolving, after this many
    # seconds (the reconciliation window).
    resolve_after: float | None = None
    # The step's email goes in the customer's one email of the day: the workflow of that id answers
    # (workflows/dunning_customer.py) with the step's real outcome.
    grouped_in: str | None = None


class WalkExit(StrEnum):
    """How a walk ends by itself; a domain's own exit reasons come from its steps and re-checks."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SENDER_NOT_VERIFIED = "sender_not_verified"  # blocked longer than the walk waits for a sender
    STOPPED = "stopped"  # an on-demand walk (a simulation) stopped or left idle


@dataclass
class WalkStatus:
    """A scenario run's answer to its status query, the same in every domain: where the walk is, the
    next step's time, how it ended (the domain's exit reason), and the malformed requests it refused."""

    state: RunState
    step_position: int | None
    step_label: str | None
    next_at: datetime | None
    exit_reason: str | None = None
    exit_detail: str | None = None
    emails_sent: int = 0
    refused: list[str] = field(default_factory=list)


@dataclass
class CancelRequest:
    reason: str
    by: str = "unknown"


CANCEL_SHAPE = '{"reason": "...", "by": "..."}'
MAX_CANCEL_TEXT = 500


def cancel_request_from(args: tuple) -> CancelRequest:
    """A cancel as anyone may send it (CLI, API, `temporal workflow signal`): one object naming a reason,
    `by` defaulting to "unknown". Anything else raises ValueError saying what is wrong, so the run can
    refuse it visibly instead of failing its workflow task or dropping it."""
    if len(args) != 1:
        raise ValueError(f"a cancel takes one argument {CANCEL_SHAPE}, got {len(args)}")
    value = args[0]
    if isinstance(value, CancelRequest):
        value = {"reason": value.reason, "by": value.by}
    if not isinstance(value, dict):
        raise ValueError(f"a cancel takes one argument {CANCEL_SHAPE}, got {type(value).__name__} {value!r:.80}")
    unknown = sorted(str(k) for k in value if k not in ("reason", "by"))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}: a cancel takes {CANCEL_SHAPE}")
    reason, by = value.get("reason"), value.get("by")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"field reason: a cancel must say why (non-empty text), got {reason!r:.80}")
    if by is not None and not isinstance(by, str):
        raise ValueError(f"field by: must be text, got {by!r:.80}")
    for name, text in (("reason", reason), ("by", by or "")):
        if len(text) > MAX_CANCEL_TEXT:
            raise ValueError(f"field {name}: at most {MAX_CANCEL_TEXT} characters, got {len(text)}")
    return CancelRequest(reason.strip(), (by or "").strip() or "unknown")


class ScenarioPlan(Protocol):
    """What a walk needs of a domain's frozen plan: its steps, its zone, when it started and the date
    its offsets count from (an invoice's due date, an enrolment's first day, ...)."""

    steps: list[PlannedStep]
    timezone: str
    started_at: datetime
    holiday_country: str | None  # public holidays close the send windows (relance.calendar)
    holiday_subdivision: str | None

    @property
    def anchor_date(self) -> date: ...
