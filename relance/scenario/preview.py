"""One step of a scenario as it would go out, for every domain's preview (dunning's for an invoice,
marketing's for a contact): computed, never sent or recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class PreviewStep:
    position: int
    kind: str
    label: str
    at: datetime  # in the organisation's time zone
    recipient: str | None = None
    sender: str | None = None
    subject: str | None = None
    body: str | None = None
    not_sent: str | None = None  # why nothing would go out
