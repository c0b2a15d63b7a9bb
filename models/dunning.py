"""The dunning domain's tables: invoices and their payments, the runs and their timelines."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import money, recorded_at, timestamp


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    IN_PAYMENT = "in_payment"  # direct debit under way: never reminded
    PAID = "paid"
    CANCELLED = "cancelled"


class Invoice(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    number: str
    account_id: int = Field(foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    creator_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    invoice_date: date
    due_date: date = Field(index=True)
    amount_excl_tax: Decimal = money()
    amount_incl_tax: Decimal = money()
    status: str = InvoiceStatus.ISSUED
    do_not_remind: bool = False
    has_payment_schedule: bool = Field(default=False, description="a payment schedule implies do_not_remind")
    payment_url: str | None = Field(default=None, description="the host's page to pay it ([[!PaymentUrl]])")
    created_at: datetime | None = recorded_at()


class Payment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("invoice_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    ref: str
    amount: Decimal = money()
    paid_on: date


class DunningRun(SQLModel, table=True):
    # Reports take an organisation's runs started in a period (relance.reports).
    __table_args__ = (Index("ix_dunningrun_org_started", "org_id", "started_at"),)
    workflow_id: str = Field(primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    scenario_id: int = Field(foreign_key="scenario.id")
    scenario_choice: str | None = Field(default=None, description="why this scenario: account, rule N, default")
    state: str
    current_step: int = 0
    next_step_at: datetime | None = timestamp(nullable=True, default=None)
    exit_reason: str | None = None
    exit_detail: str | None = None
    started_at: datetime = timestamp()
    ended_at: datetime | None = timestamp(nullable=True, default=None)
    life: int = Field(default=1, description="1, then 2... each time an ended run starts again (same workflow id)")


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
