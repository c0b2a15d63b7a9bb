"""When each step of a walk goes. Pure functions of the plan and of workflow time, shared by the
workflow (workflows/scenario_walk.py), the preview and the forecast, so a forecast is what the run does.

Rules (calendar arithmetic is relance.calendar's: N days are N calendar days in the plan's zone):
- a step with offset_days is due that many days from the plan's anchor date, at its window's opening;
- a step without is due the pauses before it after the previous email/action step;
- a step never goes closer to the previous one than the scenario spaces them: after a late or held
  step every later step keeps its spacing (no burst, however many offset steps follow);
- every moment is moved to the next opening of the step's send window (hours, weekdays, holidays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from relance import calendar
from relance.scenario.plan import PlannedStep, ScenarioPlan

ACTIONABLE = ("email", "action")


@dataclass
class Progress:
    """What the previous email/action step did: when it went, and when it would have gone had nothing
    been late or held (the spacing of the scenario is measured between those ideal moments)."""

    position: int
    done_at: datetime
    ideal_at: datetime


def actionable_positions(plan: ScenarioPlan) -> list[int]:
    return [i for i, step in enumerate(plan.steps) if step.kind in ACTIONABLE]


def opening(plan: ScenarioPlan, step: PlannedStep) -> calendar.Opening:
    """The step's send window with the plan's public holidays."""
    return calendar.Opening(step.window_start, step.window_end, tuple(step.weekdays),
                            plan.holiday_country, plan.holiday_subdivision)


def ideal_at(plan: ScenarioPlan, index: int, previous: Progress | None) -> datetime:
    """When step `index` would go if every step before it had gone on time (before window fitting)."""
    step = plan.steps[index]
    if step.offset_days is not None:
        return calendar.at_local(plan.anchor_date + timedelta(days=step.offset_days), step.window_start, plan.timezone)
    first = previous.position + 1 if previous is not None else 0
    pauses = sum(s.pause_days for s in plan.steps[first:index] if s.kind == "pause")
    anchor = previous.ideal_at if previous is not None else plan.started_at
    return calendar.add_days(anchor, pauses, plan.timezone)


def scheduled_at(plan: ScenarioPlan, index: int, previous: Progress | None) -> datetime:
    """When step `index` (an email or action) is due, given what the previous one did: its ideal
    moment, pushed back so that it keeps the scenario's spacing from the previous step, then fitted to
    its window. It may be in the past (a run started late): see send_time."""
    step = plan.steps[index]
    nominal = ideal_at(plan, index, previous)
    if previous is not None:
        nominal = max(nominal, _keep_spacing(previous, nominal, plan.timezone))
    return calendar.next_opening(nominal, opening(plan, step), plan.timezone)


def _keep_spacing(previous: Progress, ideal: datetime, tz: str) -> datetime:
    """The earliest moment after `previous.done_at` that is as far from it, in local wall time, as
    `ideal` is from the previous step's ideal moment."""
    def wall(moment: datetime) -> datetime:
        return calendar.in_zone(moment, tz).replace(tzinfo=None)

    local = wall(previous.done_at) + (wall(ideal) - wall(previous.ideal_at))
    return calendar.at_local(local.date(), local.time(), tz)


def is_stale(step: PlannedStep, anchor: date, now: datetime, tz: str) -> bool:
    """A step meant for before the anchor date (an invoice's due date) is pointless once it is reached."""
    return step.offset_days is not None and step.offset_days < 0 and calendar.local_today(now, tz) >= anchor


def send_time(plan: ScenarioPlan, index: int, nominal: datetime, now: datetime) -> datetime:
    """When a step due at `nominal` actually goes: never before now, always at an opening of its send
    window (a run started by the 02:00 sweep sends its late first reminder at the window's opening)."""
    return calendar.next_opening(max(nominal, now), opening(plan, plan.steps[index]), plan.timezone)


def upcoming(plan: ScenarioPlan, index: int, not_before: datetime, previous: Progress | None,
             first_at: datetime | None = None, until: datetime | None = None) -> list[tuple[int, datetime]]:
    """Step `index` and every later email/action step, as the workflow would run them if each went on
    time and nothing changed. Stale "before the anchor date" steps are left out, as the run skips them."""
    planned: list[tuple[int, datetime]] = []
    for position in (i for i in actionable_positions(plan) if i >= index):
        nominal = scheduled_at(plan, position, previous)
        at = first_at if position == index and first_at else send_time(plan, position, nominal, not_before)
        if until is not None and at > until:
            break
        if is_stale(plan.steps[position], plan.anchor_date, at, plan.timezone):
            continue
        planned.append((position, at))
        previous, not_before = Progress(position, at, ideal_at(plan, position, previous)), at
    return planned
