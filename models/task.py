"""Tasks the automations create for a user ("call the customer"), whatever they are about."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.columns import timestamp


class Task(SQLModel, table=True):
    """No foreign key to a domain's table: the task says what it is about (about_kind, about_ref)."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    about_kind: str = Field(description="invoice | contract | contact | opportunity | ...")
    about_ref: str = Field(description="the invoice number, contract reference, ...")
    assignee_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    title: str
    due_on: date
    source_workflow_id: str
    idem_key: str = Field(unique=True)
    created_at: datetime = timestamp(description="business time (workflow time)")
    closed_at: datetime | None = timestamp(nullable=True, default=None, description="when someone closed it")
    closed_by: str | None = Field(default=None, description="who closed it (a user, an API key)")
