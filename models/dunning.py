from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import money, recorded_at


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
    created_at: datetime | None = recorded_at()


class Payment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("invoice_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    ref: str
    amount: Decimal = money()
    paid_on: date
