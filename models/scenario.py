from datetime import time
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class StepKind(StrEnum):
    EMAIL = "email"
    PAUSE = "pause"
    ACTION = "action"


class EmailTemplate(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    key: str
    name: str
    subject: str
    body: str


class TemplateTranslation(SQLModel, table=True):
    """A template in another language: the one a customer of that language gets (Account.language)."""

    __table_args__ = (UniqueConstraint("template_id", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="emailtemplate.id", index=True)
    language: str
    subject: str
    body: str


class ScenarioPurpose(StrEnum):
    DUNNING = "dunning"
    MARKETING = "marketing"


class Scenario(SQLModel, table=True):
    """One version of a scenario; a changed scenario is a new row with version + 1. Dunning and
    marketing scenarios share the table (and one key space per organisation), told apart by purpose.
    enabled and allow_reentry are read on the latest version of a key (marketing only)."""

    __table_args__ = (UniqueConstraint("org_id", "key", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    key: str
    version: int = 1
    name: str
    purpose: str = Field(default=ScenarioPurpose.DUNNING, sa_column_kwargs={"server_default": "dunning"})
    enabled: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
    allow_reentry: bool = Field(default=False, sa_column_kwargs={"server_default": "false"},
                                description="a contact who finished the scenario may be enrolled again")


class ScenarioStep(SQLModel, table=True):
    """A step is timed by offset_days from the due date (negative = before), or, when that is
    empty, right after the previous step and the pauses that follow it."""

    __table_args__ = (UniqueConstraint("scenario_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    position: int
    kind: str
    label: str
    offset_days: int | None = None
    pause_days: int = 0
    template_id: int | None = Field(default=None, foreign_key="emailtemplate.id")
    sender_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    sender_name: str | None = None
    window_start: time | None = None
    window_end: time | None = None
    send_weekdays: str | None = None  # None: the organisation's
    task_title: str | None = None
    task_assignee_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    task_due_days: int = 0
    attach_invoice: bool = Field(default=False, description="the email carries the invoice's documents")
