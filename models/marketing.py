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


class CampaignState:
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # launched for a later time
    SENDING = "sending"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class EmailCampaign(SQLModel, table=True):
    """A one-off email from a template to a list (the contacts with a tag, of an account, or one
    contact), created as a draft, then launched (now or at a time) as one durable run."""

    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    key: str
    name: str
    template_id: int = Field(foreign_key="emailtemplate.id")
    sender_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    audience_tag: str | None = None
    audience_account_id: int | None = Field(default=None, foreign_key="account.id")
    audience_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    state: str = CampaignState.DRAFT
    created_by: str
    launched_by: str | None = None
    launch_at: datetime | None = timestamp(nullable=True, default=None)
    finished_at: datetime | None = timestamp(nullable=True, default=None)
    cancelled_detail: str | None = None


class CampaignRecipient(SQLModel, table=True):
    """One recipient of a launched campaign and what happened: pending, sent, skipped (opted out,
    deleted, no address: the reason says), failed (retry it alone), cancelled (not sent before the cancel),
    uncertain (a worker died mid-send: settled by SES's events after the reconciliation window)."""

    __table_args__ = (UniqueConstraint("campaign_id", "contact_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="emailcampaign.id", index=True)
    contact_id: int = Field(foreign_key="contact.id")
    state: str = "pending"
    reason: str | None = None
    recipient: str | None = None
    provider_message_id: str | None = None
    settled_at: datetime | None = timestamp(nullable=True, default=None)
