"""The vocabulary every scenario walk shares, whatever the domain: the frozen steps of a plan, what
one step did, the run's state as ops see it (the RelanceState search attribute), a cancel request.

One dataclass per call so fields can be added without breaking running workflows.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class WalkExit(StrEnum):
    """How a walk ends by itself; a domain's own exit reasons come from its steps and re-checks."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SENDER_NOT_VERIFIED = "sender_not_verified"  # blocked longer than the walk waits for a sender
    STOPPED = "stopped"  # an on-demand walk (a simulation) stopped or left idle


@dataclass
class CancelRequest:
    reason: str
    by: str


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
