"""Calls from the host application, the CLI, the HTTP API and the outbox pages into the booking
agency's retro-planned emails (seed 003). Every call is scoped by organisation and agency slug: an
agency of another organisation is not found. NotFound (relance.repository) for an unknown
organisation, agency, booking or draft; InvalidRecord / ValueError naming the field for bad input;
DraftConflict when a draft changed since the person read it."""

from __future__ import annotations

from datetime import date, datetime

from temporalio.client import Client

from models import Agency, Draft
from relance.agency.views import BatchReport, BatchStarted, BookingHistory, DaySummary, DraftLine
from relance.db import Database

__all__ = ["agencies_of", "batch_report", "booking_history", "closed_drafts", "day_summary", "draft_line",
           "edit_draft", "retry_failed", "send_draft", "send_tab", "tab_drafts"]


# --- what the outbox pages read -----------------------------------------------------------------


async def agencies_of(db: Database, org_slug: str, email: str) -> list[Agency]:
    """The agencies of the organisation where `email` (any case) is staff, by name."""
    raise NotImplementedError


async def day_summary(db: Database, org_slug: str, agency_slug: str, today: date | None = None) -> DaySummary:
    """Drafts waiting per tab and those expiring within two days; `today` None: today in the agency's zone."""
    raise NotImplementedError


async def tab_drafts(db: Database, org_slug: str, agency_slug: str, kind: str) -> list[DraftLine]:
    """The open drafts of one tab (waiting, edited, failed, sending), by due date then id."""
    raise NotImplementedError


async def draft_line(db: Database, org_slug: str, agency_slug: str, draft_id: int) -> DraftLine:
    """One draft of the agency, whatever its status, with its booking and property."""
    raise NotImplementedError


async def booking_history(db: Database, org_slug: str, agency_slug: str, reference: str) -> BookingHistory:
    raise NotImplementedError


async def closed_drafts(db: Database, org_slug: str, agency_slug: str,
                        statuses: tuple[str, ...] = ("withdrawn", "expired")) -> list[DraftLine]:
    """Withdrawn and expired drafts (newest first), each with its reason."""
    raise NotImplementedError


async def batch_report(db: Database, org_slug: str, agency_slug: str, batch_id: str) -> BatchReport:
    """A send-all's progress: its drafts and how many are sent, failed, withdrawn, still to go."""
    raise NotImplementedError


# --- what the outbox pages do -------------------------------------------------------------------


async def edit_draft(db: Database, org_slug: str, agency_slug: str, draft_id: int, expected_version: int,
                     subject: str, body: str, by: str, now: datetime | None = None) -> Draft:
    """Save a person's changes (plain text; escaped when sent as HTML). DraftConflict when the draft's
    version is not `expected_version` or it is no longer open."""
    raise NotImplementedError


async def send_draft(client: Client, db: Database, task_queue: str, org_slug: str, agency_slug: str,
                     draft_id: int, expected_version: int, by: str, subject: str | None = None,
                     body: str | None = None, wait: bool = True) -> BatchStarted:
    """Edit-and-send one draft: save the changes (if given) and send it, re-checking the booking first.
    DraftConflict when another person changed or sent it since `expected_version`."""
    raise NotImplementedError


async def send_tab(client: Client, db: Database, task_queue: str, org_slug: str, agency_slug: str, kind: str,
                   draft_ids: list[int], by: str) -> BatchStarted:
    """Send all of one tab: exactly `draft_ids`, the drafts the person confirmed (ValueError when one is
    not of this agency and tab). Drafts closed since are skipped by the run, never replaced by others."""
    raise NotImplementedError


async def retry_failed(client: Client, db: Database, task_queue: str, org_slug: str, agency_slug: str,
                       batch_id: str, by: str) -> BatchStarted:
    """Send again only the drafts of a send-all that failed. ValueError when none failed."""
    raise NotImplementedError
