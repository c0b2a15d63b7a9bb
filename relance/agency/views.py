"""What the outbox pages read: an agency's day, a tab, a draft and its booking, a booking's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from temporalio.client import WorkflowHandle

from models import Agency, Booking, Draft, Property, SendBatch
from relance.agency.types import SendWindow


@dataclass
class DaySummary:
    """The day's summary of one agency: drafts waiting per tab (kind -> count, every kind present, 0
    when none) and the open drafts whose sendable_until falls within two days."""

    agency: Agency
    today: date
    waiting: dict[str, int]
    expiring_soon: int
    expiring: list[Draft] = field(default_factory=list)

    @property
    def total_waiting(self) -> int:
        return sum(self.waiting.values())


@dataclass
class DraftLine:
    """One row of a tab or of the withdrawn/expired list: the draft with its booking and property, and how
    many files go with it."""

    draft: Draft
    booking: Booking
    property: Property
    files: int = 0


@dataclass
class BookingHistory:
    """A booking and every draft ever made for it (newest first): sent, withdrawn and expired included."""

    booking: Booking
    property: Property
    paid: str  # the amount paid so far, as a decimal string
    drafts: list[Draft]


@dataclass
class BatchStarted:
    """A send-all (or a retry, or one edited draft) accepted: its key and how many drafts it will send."""

    batch_id: str
    count: int
    workflow_id: str
    handle: WorkflowHandle | None = None  # its result() is the run's SendProgress
    goes_at: datetime | None = None  # the send window's opening, when it is closed now


@dataclass
class BatchReport:
    batch: SendBatch
    counts: dict[str, int]  # draft status -> count, over the batch's drafts
    drafts: list[Draft]
    window: SendWindow
    goes_at: datetime | None = None  # while it waits for the send window: when that opens

    @property
    def finished(self) -> bool:
        return self.batch.state == "finished"
