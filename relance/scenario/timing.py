"""When each step of a run goes out. Pure functions of the plan and of workflow time, shared by the
workflow and by anything that forecasts a run, so both always agree.

Rules:
- a step with offset_days is due that many days from the plan's anchor date, at the opening of its send window;
- a step without is due right after the previous email/action step plus the pause steps between them;
- a step never goes before the delay the previous step had was carried over (held runs resume
  without a burst: the spacing of the scenario is kept);
- every moment is moved into the step's send window, in the organisation's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from relance.scenario.plan import PlannedStep, ScenarioPlan

ACTIONABLE = ("email", "action")


@dataclass
class Progress:
    """What the previous email/action step did: when it went and how late it was."""

    position: int
    done_at: datetime
    delay: timedelta


def at_local(day: date, moment: time, tz: str) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(tz))


def fit_window(moment: datetime, start: time, end: time, tz: str) -> datetime:
    """The first instant at or after `moment` inside the daily window [start, end)."""
    local = in_zone(moment, tz)
    if local.time() < start:
        return at_local(local.date(), start, tz)
    if local.time() >= end:
        return at_local(local.date() + timedelta(days=1), start, tz)
    return moment


def actionable_positions(plan: ScenarioPlan) -> list[int]:
    return [i for i, step in enumerate(plan.steps) if step.kind in ACTIONABLE]


def scheduled_at(plan: ScenarioPlan, index: int, previous: Progress | None) -> datetime:
    """When step `index` (an email or action) is due, given what the previous one did; it may be in
    the past (a run started late), see send_time."""
    step = plan.steps[index]
    if step.offset_days is not None:
        nominal = at_local(plan.anchor_date + timedelta(days=step.offset_days), step.window_start, plan.timezone)
        if previous is not None:
            nominal += previous.delay
    else:
        first = previous.position + 1 if previous is not None else 0
        pauses = sum(s.pause_days for s in plan.steps[first:index] if s.kind == "pause")
        anchor = previous.done_at if previous is not None else plan.started_at
        nominal = anchor + timedelta(days=pauses)
    return fit_window(nominal, step.window_start, step.window_end, plan.timezone)


def is_stale(step: PlannedStep, due_date: date, now: datetime, tz: str) -> bool:
    """A step meant for before the due date is pointless once the due date is reached."""
    return step.offset_days is not None and step.offset_days < 0 and local_today(now, tz) >= due_date


def in_zone(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def local_today(now: datetime, tz: str) -> date:
    return in_zone(now, tz).date()


def send_time(plan: ScenarioPlan, index: int, nominal: datetime, now: datetime) -> datetime:
    """When a step due at `nominal` actually goes: never before now, always inside its send window
    (a run started by the 02:00 sweep sends its late first reminder at the window's opening)."""
    step = plan.steps[index]
    return fit_window(max(nominal, now), step.window_start, step.window_end, plan.timezone)


def upcoming(plan: ScenarioPlan, index: int, not_before: datetime, previous: Progress | None,
             first_at: datetime | None = None, until: datetime | None = None) -> list[tuple[int, datetime]]:
    """Step `index` and every later email/action step, as the workflow would run them if each went on
    time and nothing changed. Stale "before the due date" steps are left out, as the run skips them."""
    planned: list[tuple[int, datetime]] = []
    for position in (i for i in actionable_positions(plan) if i >= index):
        nominal = scheduled_at(plan, position, previous)
        at = first_at if position == index and first_at else send_time(plan, position, nominal, not_before)
        if until is not None and at > until:
            break
        if is_stale(plan.steps[position], plan.anchor_date, at, plan.timezone):
            continue
        planned.append((position, at))
        previous, not_before = Progress(position, at, max(at - nominal, timedelta(0))), at
    return planned
