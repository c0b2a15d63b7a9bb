"""Per-customer dunning: the organisation's ordered rules that choose a run's scenario by tag or amount due."""

from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import money


class ScenarioRule(SQLModel, table=True):
    """One assignment rule: an account carrying `tag`, or an amount due within [min_due, max_due), takes the
    dunning scenario `scenario_key` (its newest version when a run starts). Rules are tried by position,
    the first that matches wins; an account's own scenario comes before them, the default after."""

    __table_args__ = (UniqueConstraint("org_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    position: int
    scenario_key: str
    tag: str | None = None
    min_due: Decimal | None = money(default=None, nullable=True)
    max_due: Decimal | None = money(default=None, nullable=True)
