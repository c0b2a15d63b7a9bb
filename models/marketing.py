"""The marketing domain's tables: a contact's enrolments in marketing scenarios."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import timestamp


class MarketingEnrolment(SQLModel, table=True):
    """One run of a contact in a marketing scenario (workflow id marketing:<org>:<scenario>:<contact>);
    a scenario that allows re-entry gives the same workflow id a new run, hence the run id."""

    __table_args__ = (UniqueConstraint("workflow_id", "run_id"),)
    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(index=True)
    run_id: str
    org_id: int = Field(foreign_key="organisation.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    scenario_id: int = Field(foreign_key="scenario.id", description="the version the run walks")
    scenario_key: str
    enrolled_by: str
    state: str
    current_step: int | None = None
    emails_sent: int = 0
    started_at: datetime = timestamp(description="business time (workflow time)")
    ended_at: datetime | None = timestamp(nullable=True, default=None)
    exit_reason: str | None = None
    exit_detail: str | None = None
