"""What the dunning runs did: one row per run and its timeline of decisions."""

from datetime import datetime

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
    """One decision of a run, as the run's timeline shows it. idem_key writes a decision once when an
    activity is retried; whether an email left is the send-once ledger's to say (models/email.py)."""

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(foreign_key="dunningrun.workflow_id", index=True)
    step_position: int | None = None
    kind: str  # email | action | skip | hold | exit
    outcome: str  # sent | not_sent | uncertain | created | skipped | held | exited
    reason: str | None = None
    recipient: str | None = None
    sender: str | None = None
    subject: str | None = None
    provider_message_id: str | None = None
    idem_key: str | None = Field(default=None, unique=True)
    occurred_at: datetime = timestamp(description="business time (workflow time)")
    recorded_at: datetime | None = recorded_at()
