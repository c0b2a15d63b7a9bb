"""What the agency's starter, workflows and activities exchange (one dataclass per call)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from relance import calendar


@dataclass
class DraftingInput:
    """One agency's nightly drafting run; `day` None: today in the agency's zone at the run's time."""

    org_slug: str
    agency_slug: str
    day: date | None = None


@dataclass
class DraftingRequest:
    org_slug: str
    agency_slug: str
    now: datetime
    day: date | None = None


@dataclass
class DraftingResult:
    day: date | None = None
    drafted: int = 0
    expired: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class SendWindow:
    """The agency's send window in its zone, every day of the week: emails to guests leave inside it,
    so a tab sent late in the evening reaches the guests the next morning."""

    start: time
    end: time
    timezone: str

    def opens(self, moment: datetime) -> datetime:
        """`moment` itself while the window is open, else the instant it next opens."""
        return calendar.next_opening(moment, calendar.Opening(self.start, self.end, calendar.ALL_DAYS), self.timezone)

    def closed_until(self, moment: datetime) -> datetime | None:
        """When the window next opens if it is closed at `moment`, else None."""
        opens = self.opens(moment)
        return opens if opens > moment else None

    def local(self, moment: datetime) -> str:
        """`moment` as the agency's staff read it: `2026-11-28 09:00 +01:00`."""
        return calendar.written(moment, self.timezone)


@dataclass
class SendInput:
    """A send-all of one tab (or one edited draft, or the failed ones of a send-all): `draft_ids` are
    exactly the drafts the person confirmed."""

    org_slug: str
    agency_slug: str
    batch_id: str
    draft_ids: list[int]
    by: str
    window: SendWindow | None = None  # None in runs started before sends kept to the window


@dataclass
class SendOne:
    org_slug: str
    agency_slug: str
    batch_id: str
    draft_id: int
    by: str
    now: datetime


@dataclass
class SendProgress:
    total: int = 0
    done: int = 0
    sent: int = 0
    withdrawn: int = 0
    failed: int = 0
    skipped: int = 0  # no longer open when its turn came (sent by someone else, expired, ...)
    expired: int = 0  # its last sendable day had passed (the nightly job had not yet expired it)
    waiting_until: datetime | None = None  # the send window's opening, while the run waits for it


@dataclass
class SendOutcome:
    draft_id: int
    outcome: str  # sent | withdrawn | expired | failed | skipped
    reason: str | None = None
    message_id: str | None = None


@dataclass
class ClaimInput:
    org_slug: str
    batch_id: str


@dataclass
class FailureInput:
    org_slug: str
    batch_id: str
    draft_id: int
    error: str
    now: datetime


@dataclass
class FinishInput:
    org_slug: str
    batch_id: str
    now: datetime


@dataclass
class SummaryInput:
    org_slug: str
    agency_slug: str
    now: datetime
    day: date | None = None


@dataclass
class SummaryResult:
    waiting: int = 0
    expiring_soon: int = 0
    emailed: int = 0
