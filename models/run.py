"""What the dunning runs did: one row per run, its timeline of decisions, and the tasks it created."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.columns import recorded_at, timestamp


class DunningRun(SQLModel, table=True):
    workflow_id: str = Field(primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    scenario_id: int = Field(foreign_key="scenario.id")
    state: str
    current_step: int = 0
    next_step_at: datetime | None = timestamp(nullable=True, default=None)
    exit_reason: str | None = None
    exit_detail: str | None = None
    started_at: datetime = timestamp()
    ended_at: datetime | None = timestamp(nullable=True, default=None)


class RunEvent(SQLModel, table=True):
    """One decision of a run. idem_key makes an email or a task happen at most once per step."""

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(foreign_key="dunningrun.workflow_id", index=True)
    step_position: int | None = None
    kind: str  # email | action | skip | hold | exit
    outcome: str  # sent | not_sent | sending | uncertain | created | skipped | held | exited
    reason: str | None = None
    recipient: str | None = None
    sender: str | None = None
    subject: str | None = None
    provider_message_id: str | None = None
    idem_key: str | None = Field(default=None, unique=True)
    occurred_at: datetime = timestamp(description="business time (workflow time)")
    recorded_at: datetime | None = recorded_at()


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id")
    assignee_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    title: str
    due_on: date
    source_workflow_id: str
    idem_key: str = Field(unique=True)
    created_at: datetime = timestamp()
