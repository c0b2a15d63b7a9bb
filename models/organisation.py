from datetime import time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Integer, Numeric
from sqlmodel import Field, SQLModel


def _late_fk(target: str):
    """A foreign key added after both tables exist (organisation, user and scenario refer to each other)."""
    return Field(default=None, sa_column=Column(Integer, ForeignKey(target, use_alter=True), nullable=True))


class SenderMode(StrEnum):
    """Who signs the reminders: a chosen user, or the user who created the invoice (seed 002)."""

    USER = "user"
    INVOICE_CREATOR = "invoice_creator"


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, description="short id used in workflow ids")
    name: str
    timezone: str = "Europe/Paris"
    locale: str = "fr_FR"
    currency: str = "EUR"
    dunning_enabled: bool = False
    dunning_apply_to_new_invoices: bool = False
    dunning_one_email_per_customer: bool = Field(
        default=False, sa_column_kwargs={"server_default": "false"},
        description="the reminders of one account due the same day go as one email (workflows/dunning_customer.py)")
    # currency -> the amount due (text, "5.00") below which no dunning step goes; absent: none
    dunning_minimums: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    send_window_start: time = time(9, 0)
    send_window_end: time = time(18, 0)
    send_weekdays: str = Field(default="mon-fri", description="days the send window opens (relance.calendar)")
    holiday_country: str | None = Field(
        default=None, description="public holidays close the send window; None: from the locale, '': none")
    holiday_subdivision: str | None = None
    default_scenario_id: int | None = _late_fk("scenario.id")
    sender_mode: str = SenderMode.USER
    default_sender_user_id: int | None = _late_fk("appuser.id")
    # Late-payment interest, percent a year (Code de commerce L441-10): [[!LateInterest]]; None: not stated.
    late_interest_rate: Decimal | None = Field(default=None, sa_type=Numeric(6, 3))
