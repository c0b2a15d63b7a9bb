"""The send-once ledger: one row per email the engine makes, whatever the domain."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.columns import recorded_at, timestamp


class EmailState:
    """A row's life: claimed before the provider is called, then sent (with the provider's message
    id); a claim found still 'claimed' by a later attempt becomes uncertain (the worker died between
    the provider and the row), until SES's events confirm it or, none having come within the
    reconciliation window, it is sent again (relance.email.sending). not_sent rows say why nothing was
    composed or SES rejected it. A refused send deletes its claim, so a retry may send."""

    CLAIMED = "claimed"
    SENT = "sent"
    UNCERTAIN = "uncertain"
    NOT_SENT = "not_sent"


class EmailLedgerEntry(SQLModel, table=True):
    """Keyed by the idempotency key of the step that makes the email (`<workflow id>:<step>:email`).
    No foreign key to a domain's run: the row says what it is about (about_kind, about_ref), so any
    domain, and a simulation, writes here."""

    __tablename__ = "emailledger"
    # Reports take an organisation's emails of a period (relance.reports).
    __table_args__ = (Index("ix_emailledger_org_claimed", "org_id", "claimed_at"),)
    idem_key: str = Field(primary_key=True, max_length=200)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    workflow_id: str = Field(index=True)
    about_kind: str = Field(description="invoice | contract | user | ...")
    about_ref: str = Field(description="the invoice number, contract reference, user address, ...")
    state: str  # EmailState
    reason: str | None = None
    recipient: str | None = None
    sender: str | None = None
    subject: str | None = None
    # Indexed: SES's events, and the reports, find an email by the provider's id.
    provider_message_id: str | None = Field(default=None, index=True)
    # The message tag the email went out with; SES's events carry it back (relance.email.events).
    send_tag: str | None = Field(default=None, index=True, max_length=64)
    # Sends tried under this key (a send left uncertain may be sent again, relance.email.sending).
    attempts: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    claimed_at: datetime = timestamp(description="business time (workflow time)")
    settled_at: datetime | None = timestamp(nullable=True, default=None)
    recorded_at: datetime | None = recorded_at()
