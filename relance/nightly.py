"""What the nightly jobs (one Schedule per organisation and job) are given and report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class SweepRequest:
    org_slug: str


@dataclass
class SweepInput:
    org_slug: str
    now: datetime
    task_queue: str


@dataclass
class SweepResult:
    """What a nightly job found (overdue invoices without a run, or renewal notices due) and started."""

    examined: int = 0
    started: int = 0
    already_known: int = 0

    def count(self, handle: object | None) -> None:
        """One workflow to start: `handle` is None when its id had a run already."""
        self.examined += 1
        if handle is None:
            self.already_known += 1
        else:
            self.started += 1
