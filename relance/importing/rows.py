"""Writing a row found by its natural key: every import section's way to create or update, and the
record of what each write changed (what a dry run answers).

An import changes what it names: an existing row takes only the fields the file gave (`named`); the
defaults of the format apply when a row is created, never to one that exists.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from relance.importing.changes import Changes

_CHANGES = "relance.import_changes"


def changes(session: AsyncSession) -> Changes:
    """The record of this session's import writes (kept on the session: every writer reaches it)."""
    return session.info.setdefault(_CHANGES, Changes())


def named(record: BaseModel, renamed: Mapping[str, Iterable[str]] | None = None) -> set[str]:
    """The columns of the fields the file gave for this record, null included; `renamed` maps a field to
    its columns when they are not called as it is."""
    renamed = renamed or {}
    return {column for name in record.model_fields_set for column in renamed.get(name, (name,))}


def label(keys: Mapping[str, Any]) -> str:
    """A row as the file names it: its natural key without the ids of its parents."""
    return "/".join(str(value) for name, value in keys.items() if not name.endswith("_id")) or "-"


def created(session: AsyncSession, row: SQLModel | type[SQLModel], name: str) -> None:
    """A row created (or, inserted in bulk, its model)."""
    changes(session).of(row.__tablename__).created.append(name)


def versioned(session: AsyncSession, row: SQLModel, name: str, previous: int | None) -> None:
    """A versioned record (a scenario, a rule) written as a new version: created, or updated from `previous`."""
    if previous is None:
        created(session, row, name)
    else:
        changes(session).of(row.__tablename__).updated[name] = {"version": (previous, row.version)}


def unchanged(session: AsyncSession, row: SQLModel) -> None:
    changes(session).of(row.__tablename__).unchanged += 1


def update(session: AsyncSession, row: SQLModel, name: str, values: Mapping[str, Any]) -> bool:
    """Set the values on an existing row and record what they changed; whether any did."""
    diff = {column: (getattr(row, column), value) for column, value in values.items() if getattr(row, column) != value}
    for column, (_, value) in diff.items():
        setattr(row, column, value)
    if diff:
        changes(session).of(row.__tablename__).updated.setdefault(name, {}).update(diff)
    return bool(diff)


async def upsert(session: AsyncSession, model: type[SQLModel], keys: dict, values: dict,
                 named: Container[str] | None = None) -> tuple[Any, str | None]:
    """Find the row by its natural key and update it with the values `named` (all when None), or insert
    it with all of them. Returns (row, "created" | "changed" | None when it was already so)."""
    row = (await session.exec(select(model).filter_by(**keys))).first()
    row, outcome = put(session, model, row, keys, values, named)
    await session.flush()
    return row, outcome


def put(session: AsyncSession, model: type[SQLModel], row: SQLModel | None, keys: dict, values: dict,
        named: Container[str] | None = None) -> tuple[Any, str | None]:
    """upsert's write, for a row the caller found already (None: a new one), with no query of its own:
    thousands of accounts are written with one flush, not two round trips each."""
    if row is None:
        row, outcome = model(**keys, **values), "created"
        created(session, row, label(keys))
    else:
        given = {k: v for k, v in values.items() if named is None or k in named}
        outcome = "changed" if update(session, row, label(keys), given) else None
        if outcome is None:
            unchanged(session, row)
    session.add(row)
    return row, outcome
