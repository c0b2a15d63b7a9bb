"""The pipeline domain's tables (SPEC C, issue 13): sales processes and their ordered stages, action
types, opportunities with their quotes and actions, rules (versioned: a change is a new row), the
event log each opportunity's workflow writes, each automation's outcome, the opportunity feed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from models.columns import money, timestamp


class OpportunityResult:
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    DORMANT = "dormant"
    ALL = (OPEN, WON, LOST, DORMANT)


class SalesProcess(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    key: str
    name: str


class ProcessStage(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("process_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(foreign_key="salesprocess.id", index=True)
    key: str
    name: str
    position: int


class ActionType(SQLModel, table=True):
    """Per organisation: call, meeting, administrative, ..."""

    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    key: str
    name: str


class Opportunity(SQLModel, table=True):
    """The state relance knows: the transitions of an event are derived from it (a save without a
    change triggers nothing)."""

    __table_args__ = (UniqueConstraint("org_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    ref: str
    name: str = ""
    process_id: int = Field(foreign_key="salesprocess.id")
    stage_key: str
    result: str = OpportunityResult.OPEN
    assigned_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    account_id: int | None = Field(default=None, foreign_key="account.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    amount: Decimal | None = money(default=None, nullable=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String), nullable=False,
                                                                   server_default="{}"))
    close_on: date | None = Field(default=None, description="the expected (or actual) close date")
    custom: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"),
                         description="the host's own fields (conditions name them custom.<name>)")
    stage_since: datetime | None = timestamp(nullable=True, default=None,
                                             description="business time it entered its stage (time triggers)")
    result_since: datetime | None = timestamp(nullable=True, default=None,
                                              description="business time its result last changed (time triggers)")


class Quote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("opportunity_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    ref: str
    state: str = Field(description="sent | reopened")


class OpportunityAction(SQLModel, table=True):
    """An action (call, meeting, ...) on an opportunity: reported by the host (ref), or created by an
    automation (idem_key: rule version, event, position, so at most once)."""

    __table_args__ = (UniqueConstraint("opportunity_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    ref: str
    type_key: str
    title: str
    assignee_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    due_on: date | None = None
    state: str = Field(default="open", description="open | closed")
    idem_key: str | None = Field(default=None, unique=True)
    created_at: datetime = timestamp(description="business time")


class PipelineRule(SQLModel, table=True):
    """One version of a rule: a trigger and an ordered list of automations (JSON, checked when saved).
    A change is a new version (a new row, a larger id): an event is handled by the versions that
    existed when it was reported (PipelineEvent.rules_upto)."""

    __table_args__ = (UniqueConstraint("process_id", "key", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    process_id: int = Field(foreign_key="salesprocess.id", index=True)
    key: str
    version: int
    name: str = ""
    enabled: bool = True
    trigger: dict = Field(sa_column=Column(JSON, nullable=False))
    condition: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    automations: list = Field(sa_column=Column(JSON, nullable=False))


class PipelineEvent(SQLModel, table=True):
    """An event an opportunity's workflow handled: the first write dedupes it (org, opportunity, event
    id), and keeps what it was derived into (transitions, automations planned) so a retry replays the
    plan instead of deriving again from a state it already changed."""

    __table_args__ = (UniqueConstraint("opportunity_id", "event_id"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    event_id: str
    kind: str
    body: dict = Field(sa_column=Column(JSON, nullable=False))
    cause: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    transitions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    plan: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"),
                           description="the opportunity as of this event: what conditions were evaluated on")
    conditions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"),
                             description="each fired rule's condition: held or not, and why")
    rules_upto: int = 0
    handled_at: datetime = timestamp(description="business time (workflow time)")


class AutomationRun(SQLModel, table=True):
    """One automation of one rule version for one event: its idem_key (rule version, event, position)
    makes its side effect happen at most once; its state is the timeline's outcome."""

    id: int | None = Field(default=None, primary_key=True)
    idem_key: str = Field(unique=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    event_id: str
    rule_id: int = Field(foreign_key="pipelinerule.id")
    position: int
    kind: str
    state: str = Field(description="running | done | failed | stopped")
    detail: str | None = None
    attempts: int = 0
    settled_at: datetime | None = timestamp(nullable=True, default=None)


class FeedNotification(SQLModel, table=True):
    """A notification posted on an opportunity's feed by an automation."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    text: str
    idem_key: str = Field(unique=True)
    created_at: datetime = timestamp(description="business time")
