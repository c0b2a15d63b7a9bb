"""Contracts, the renewal settings of an organisation and the renewal notices sent (seed 000)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import money, timestamp


class ContractStatus(StrEnum):
    ACTIVE = "active"
    SETTLED = "settled"  # "soldé": never inspected again


class Contract(SQLModel, table=True):
    """Terms run from start_date in steps of the commitment period (relance.renewal.terms)."""

    __table_args__ = (UniqueConstraint("org_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    ref: str = Field(description="contract reference; used in workflow ids")
    account_id: int = Field(foreign_key="account.id", index=True)
    billing_contact_id: int | None = Field(default=None, foreign_key="contact.id",
                                           description="the only recipient of renewal notices")
    start_date: date
    period: str = Field(description="relance.renewal.terms.Period")
    years: int | None = Field(default=None, description="length of a multi-year term")
    tacit_renewal: bool = True
    status: str = ContractStatus.ACTIVE
    amount: Decimal | None = money(default=None, nullable=True)


class RenewalSettings(SQLModel, table=True):
    """Per organisation: notices on or off, how many days before the term ends, what and from whom."""

    org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    enabled: bool = False
    alert_days: int = 30
    template_id: int | None = Field(default=None, foreign_key="emailtemplate.id")
    sender_user_id: int | None = Field(default=None, foreign_key="appuser.id")


class RenewalNotice(SQLModel, table=True):
    """One notice per contract and term, keyed by its workflow id: the notice's audit row. Whether its
    email left is the send-once ledger's to say (models/email.py); the outcome copies it."""

    __table_args__ = (UniqueConstraint("contract_id", "term_end"),)
    workflow_id: str = Field(primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    term_end: date
    state: str  # relance.scenario.plan.RunState
    outcome: str | None = None  # sent | not_sent | uncertain | cancelled
    reason: str | None = None
    detail: str | None = None
    recipient: str | None = None
    sender: str | None = None
    subject: str | None = None
    provider_message_id: str | None = None
    started_at: datetime = timestamp(description="business time (workflow time)")
    ended_at: datetime | None = timestamp(nullable=True, default=None)
