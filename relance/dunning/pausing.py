"""A pause of a run until a date (a promise to pay, a dispute): the checks a run makes against its own
business time before it accepts one, and what the timeline says of it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from relance import calendar
from relance.dunning.types import PauseReason, PauseRequest
from relance.scenario.plan import MAX_CANCEL_TEXT

MAX_PAUSE = timedelta(days=365)


def checked_until(request: PauseRequest, today: date) -> date:
    """The pause's end date, or ValueError naming the field: a reason relance knows, someone who asks, a
    date after `today` (the organisation's) and at most a year ahead."""
    reasons = ", ".join(PauseReason)
    if request.reason not in tuple(PauseReason):
        raise ValueError(f"field reason: one of {reasons}, got {str(request.reason)[:80]!r}")
    if not isinstance(request.by, str) or not request.by.strip() or len(request.by) > MAX_CANCEL_TEXT:
        raise ValueError(f"field by: who asks, as text of 1 to {MAX_CANCEL_TEXT} characters")
    if not isinstance(request.note, str) or len(request.note) > MAX_CANCEL_TEXT:
        raise ValueError(f"field note: text of at most {MAX_CANCEL_TEXT} characters")
    try:
        until = date.fromisoformat(request.until)
    except (TypeError, ValueError):
        raise ValueError(f"field until: a date YYYY-MM-DD, got {str(request.until)[:40]!r}") from None
    if until <= today:
        raise ValueError(f"field until: {until} is not after today ({today}, the organisation's date)")
    if until > today + MAX_PAUSE:
        raise ValueError(f"field until: {until} is more than a year ahead (at most {today + MAX_PAUSE})")
    return until


def pause_end(until: date, tz: str) -> datetime:
    """The pause lasts until the start of its date in the organisation's zone."""
    return calendar.at_local(until, time(0), tz)


def described(request: PauseRequest) -> str:
    """"promise_to_pay until 2026-12-15, by claire: will pay by transfer" (timeline, current details)."""
    return f"{request.reason} until {request.until}, by {request.by.strip()}" + (
        f": {request.note.strip()}" if request.note.strip() else "")
