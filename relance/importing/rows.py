"""Writing a row found by its natural key: every import section's way to create or update."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


async def upsert(session: AsyncSession, model: type[SQLModel], keys: dict, values: dict) -> tuple[Any, str | None]:
    """Find the row by its natural key and update it, or insert it.
    Returns (row, "created" | "changed" | None when it was already so)."""
    row = (await session.exec(select(model).filter_by(**keys))).first()
    if row is None:
        row, outcome = model(**keys, **values), "created"
    else:
        outcome = "changed" if any(getattr(row, k) != v for k, v in values.items()) else None
        for name, value in values.items():
            setattr(row, name, value)
    session.add(row)
    await session.flush()
    return row, outcome
