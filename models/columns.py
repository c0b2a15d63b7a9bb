"""Column helpers shared by the tables."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, func
from sqlmodel import Field


def recorded_at(index: bool = False) -> datetime | None:
    """Row bookkeeping time, set by the database; never used for a business decision."""
    return Field(default=None, sa_type=DateTime(timezone=True), sa_column_kwargs={"server_default": func.now()},
                 nullable=False, index=index)


def timestamp(nullable: bool = False, **kwargs):
    return Field(sa_type=DateTime(timezone=True), nullable=nullable, **kwargs)


# Every amount column: relance.limits refuses what would not fit before it reaches one.
MONEY_DIGITS, MONEY_PLACES = 12, 2


def money(**kwargs) -> Decimal:
    return Field(sa_type=Numeric(MONEY_DIGITS, MONEY_PLACES), **kwargs)
