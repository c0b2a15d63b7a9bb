"""Inputs, results and vocabulary of a renewal notice, shared by the workflow, its activities and callers.

One dataclass per call so fields can be added without breaking running workflows. The notice's
states are the dunning run's (relance.scenario.plan.RunState: starting, waiting, blocked, ended), so one
RelanceState filter in the Temporal UI covers both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from relance.calendar import ALL_DAYS, Opening
from relance.scenario.plan import RunState


class NoticeOutcome(StrEnum):
    """How a notice ended; every notice ends with exactly one (SPEC rule 4)."""

    SENT = "sent"
    NOT_SENT = "not_sent"
    UNCERTAIN = "uncertain"  # a worker died between the claim and SES's answer: settled later
    CANCELLED = "cancelled"


class NoticeReason(StrEnum):
    """Why a notice was not sent."""

    NO_RECIPIENT = "no_recipient"  # no billing contact on the contract, or one without an address
    SENDER_NOT_VERIFIED = "sender_not_verified"
    TEMPLATE_ERROR = "template_error"
    DELIVERY_UNCERTAIN = "delivery_uncertain"
    CONTRACT_SETTLED = "contract_settled"
    RENEWALS_OFF = "renewals_off"
    TERM_ENDED = "term_ended"
    CANCELLED = "cancelled"


@dataclass
class RenewalInput:
    org_slug: str
    contract_ref: str
    term_end: date
    revision: int = 0  # the workflow code revision that started the notice (workflows/versions.py)


@dataclass
class NoticePlan:
    org_slug: str
    contract_ref: str
    customer_ref: str
    term_end: date
    timezone: str
    window_start: time
    window_end: time
    # Notices planned before weekdays and holidays closed windows open every day.
    weekdays: tuple[int, ...] = ALL_DAYS
    holiday_country: str | None = None
    holiday_subdivision: str | None = None

    def opening(self) -> Opening:
        return Opening(self.window_start, self.window_end, tuple(self.weekdays), self.holiday_country,
                       self.holiday_subdivision)


@dataclass
class NoticeInput:
    """What every notice activity is given: which notice, and the workflow's time."""

    workflow_id: str
    org_slug: str
    contract_ref: str
    term_end: date
    now: datetime
    # The notice was left uncertain and the reconciliation window has passed: settle it.
    resolving: bool = False


@dataclass
class NoticeAttempt:
    """What one try to send did: final (outcome set) or blocked by an unverified sender."""

    outcome: NoticeOutcome | None
    reason: NoticeReason | None = None
    detail: str | None = None
    recipient: str | None = None
    message_id: str | None = None
    # Uncertain (a worker died mid-send): try again, resolving, after this many seconds.
    resolve_after: float | None = None


@dataclass
class FinishNoticeInput:
    workflow_id: str
    outcome: NoticeOutcome
    reason: NoticeReason | None
    detail: str | None
    now: datetime


@dataclass
class NoticeStatus:
    state: RunState
    send_at: datetime | None
    outcome: NoticeOutcome | None = None
    reason: NoticeReason | None = None
    detail: str | None = None
    refused: list[str] = field(default_factory=list)  # malformed cancels the notice refused


@dataclass
class NoticeResult:
    outcome: NoticeOutcome
    reason: NoticeReason | None
    detail: str | None
    recipient: str | None
    message_id: str | None
