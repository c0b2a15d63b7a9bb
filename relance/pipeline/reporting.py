"""An event as the host reports it, checked before anything is written: its shape (pydantic), then
every name it uses against what relance knows (the opportunity, its process's stages, the action types,
the users). A refusal names each field; nothing reaches the opportunity's workflow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AppUser
from relance.importing.format import REFERENCE_PATTERN, Email, Identifier, Name
from relance.pipeline import repository
from relance.pipeline.repository import OpportunityFile
from relance.pipeline.types import CUSTOM, EventKind, OppEvent

# Which fields each kind of event carries.
FIELDS = {EventKind.OPPORTUNITY: ("stage", "result", "assigned_to", "amount", "close_on", "custom"),
          EventKind.QUOTE: ("quote", "quote_state"),
          EventKind.ACTION: ("action", "action_type", "action_state", "title", "due_on")}
REQUIRED = {EventKind.QUOTE: ("quote", "quote_state"), EventKind.ACTION: ("action", "action_type")}


CustomName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,100}$")]
CustomValue = Annotated[str, Field(max_length=200)] | Annotated[Decimal, Field(max_digits=20, allow_inf_nan=False)]


class EventRefused(ValueError):
    """The event was refused, nothing written; `problems` names each field."""

    def __init__(self, problems: list[str]):
        super().__init__("event refused: " + "; ".join(problems))
        self.problems = problems


class EventBody(BaseModel):
    """What the host reports: an opportunity's new state (only what it gives changes), a quote sent or
    reopened, or an action created or closed."""

    model_config = ConfigDict(extra="forbid")
    event_id: Annotated[Identifier, Field(description="the host's id: an event delivered twice is handled once")]
    opportunity: Annotated[Identifier, Field(pattern=REFERENCE_PATTERN)]
    kind: EventKind
    stage: Identifier | None = None
    result: Literal["open", "won", "lost", "dormant"] | None = None
    assigned_to: Email | None = None
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    close_on: date | None = Field(default=None, description="the expected close date")
    custom: dict[CustomName, CustomValue] | None = Field(
        default=None, max_length=50, description="the host's own fields, for conditions (custom.<name>); "
                                                 "those it leaves out keep their value")
    quote: Identifier | None = None
    quote_state: Literal["sent", "reopened"] | None = None
    action: Identifier | None = None
    action_type: Identifier | None = None
    action_state: Literal["open", "closed"] | None = None
    title: Name | None = None
    due_on: date | None = None


def parse(raw: dict) -> EventBody:
    try:
        return EventBody.model_validate(raw)
    except ValidationError as exc:
        raise EventRefused([f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                            for e in exc.errors()]) from exc


async def check(session: AsyncSession, org_slug: str, body: EventBody) -> tuple[OpportunityFile, OppEvent]:
    """The event to queue, or EventRefused naming every field that is wrong."""
    try:
        file = await repository.opportunity_file(session, org_slug, body.opportunity)
    except repository.NotFound as exc:
        raise EventRefused([f"opportunity: {exc}"]) from exc
    problems = [f"{name}: a {body.kind} event does not carry it" for kinds, names in FIELDS.items()
                if kinds != body.kind for name in names if getattr(body, name) is not None]
    problems += [f"{name}: a {body.kind} event needs it" for name in REQUIRED.get(body.kind, ())
                 if getattr(body, name) is None]
    changes: dict[str, str] = {name: str(getattr(body, name)) for name in FIELDS[body.kind]
                               if getattr(body, name) is not None and name != "custom"}
    changes |= {f"{CUSTOM}{name}": str(value) for name, value in (body.custom or {}).items()}
    unknown, user = await _unknown(session, file, body.stage, body.action_type, body.assigned_to)
    problems += unknown
    if user is not None:
        changes["assigned_user_id"] = str(user.id)
        del changes["assigned_to"]
    if problems:
        raise EventRefused(problems)
    return file, OppEvent(body.event_id, body.kind.value, changes, [],
                          await repository.latest_rule_id(session, file.org.id))


async def reference_problems(session: AsyncSession, org_slug: str, opportunity: str, stage: str | None,
                             action_type: str | None, assigned_to: str | None) -> list[str]:
    """The records an event names (given as text), for a body refused for its fields: one answer names
    every problem."""
    try:
        file = await repository.opportunity_file(session, org_slug, opportunity)
    except repository.NotFound as exc:
        return [f"opportunity: {exc}"]
    return (await _unknown(session, file, stage, action_type, assigned_to))[0]


async def _unknown(session: AsyncSession, file: OpportunityFile, stage: str | None, action_type: str | None,
                   assigned_to: str | None) -> tuple[list[str], AppUser | None]:
    """The problems of the stage, action type and assignee named, and the assignee's user."""
    problems, user = [], None
    if stage is not None:
        stages = await repository.stages(session, file.process.id)
        if stage not in stages:
            problems.append(f"stage: unknown stage {stage!r} of process {file.process.key!r} "
                            f"(stages: {', '.join(stages)})")
    if action_type is not None and action_type not in await repository.action_types(session, file.org.id):
        problems.append(f"action_type: unknown action type {action_type!r}")
    if assigned_to is not None:
        user = await repository.user_by_email(session, file.org.id, assigned_to)
        if user is None:
            problems.append(f"assigned_to: {assigned_to!r} is not a user of the organisation")
    return problems, user
