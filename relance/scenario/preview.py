"""One step of a scenario as it would go out, for every domain's preview (dunning's for an invoice,
marketing's for a contact): computed with the runs' own timing and composition, never sent or recorded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import ScenarioStep
from relance import calendar
from relance.email.compose import Composition
from relance.scenario import timing
from relance.scenario.plan import ScenarioPlan
from relance.scenario.steps import scenario_steps


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


Compose = Callable[[ScenarioStep, datetime], Awaitable[Composition]]


async def preview_steps(session: AsyncSession, plan: ScenarioPlan, scenario_id: int, now: datetime,
                        compose: Compose, not_sent: str | None = None) -> list[PreviewStep]:
    """Each email and action step of `plan` as a run started now would do it; `compose` is the domain's
    email for a step at its time. With `not_sent`, no email would go out at all (and none is composed)."""
    rows = {s.position: s for s in await scenario_steps(session, scenario_id)}
    out = []
    for position, at in timing.upcoming(plan, 0, now, None):
        step = rows[position]
        line = PreviewStep(position, step.kind, step.label, calendar.in_zone(at, plan.timezone))
        out.append(line)
        if step.kind == "action":
            line.subject = f"task: {step.task_title or step.label} (due {step.task_due_days} day(s) later)"
        elif not_sent is not None:
            line.not_sent = not_sent
        else:
            composed = await compose(step, at)
            line.sender = composed.sender
            if composed.email is None:
                line.not_sent = f"{composed.reason}: {composed.detail}"
            else:
                email = composed.email
                line.recipient, line.subject, line.body = email.to, email.subject, email.text
    return out
