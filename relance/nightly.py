"""What the nightly jobs (one Schedule per organisation and job) are given and report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MAX_PROBLEMS = 50  # records skipped are all counted; the first ones are named


@dataclass
class SweepRequest:
    org_slug: str
    # Where a job continued as new carries on, and what it did before (DunningSweepWorkflow).
    after_id: int = 0
    so_far: SweepResult | None = None


@dataclass
class Candidate:
    """A row a job found to start a workflow for: an invoice without its run."""

    id: int
    number: str
    customer_ref: str


@dataclass
class PageRequest:
    org_slug: str
    now: datetime
    after_id: int


@dataclass
class StartRequest:
    org_slug: str
    task_queue: str
    candidates: list[Candidate]


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
    skipped: int = 0  # bad records: not started, logged and named in `problems`, the rest went on
    problems: list[str] = field(default_factory=list)

    def count(self, handle: object | None, retried: bool = False) -> None:
        """One workflow to start: `handle` is None when its id had a run already. On a retried page, a
        run already there is the one an earlier attempt started (the page's rows had none when it was
        read): counted as started, so the total is true whatever failed in between."""
        self.examined += 1
        if handle is None and not retried:
            self.already_known += 1
        else:
            self.started += 1

    def skip(self, problem: str) -> None:
        self.examined += 1
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def add(self, other: SweepResult) -> None:
        self.examined += other.examined
        self.started += other.started
        self.already_known += other.already_known
        self.skipped += other.skipped
        self.problems += other.problems[:MAX_PROBLEMS - len(self.problems)]
