"""Tasks the automations create for a user, at most once per idempotency key, about any subject."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from models import About, Task

_COLUMNS = ("org_id", "about_kind", "about_ref", "assignee_user_id", "title", "due_on", "source_workflow_id",
            "idem_key", "created_at")
_TASK = (insert(Task.__table__).values({name: bindparam(f"t_{name}") for name in _COLUMNS}).on_conflict_do_nothing()
         .returning(Task.id))


async def create_task_once(session: AsyncSession, key: str, about: About, *, org_id: int, title: str, due_on: date,
                           assignee_user_id: int | None, workflow_id: str, now: datetime) -> bool:
    """False when the key has its task already (a retried step)."""
    created = await session.exec(_TASK, params={
        "t_org_id": org_id, "t_about_kind": about.kind, "t_about_ref": about.ref,
        "t_assignee_user_id": assignee_user_id, "t_title": title, "t_due_on": due_on,
        "t_source_workflow_id": workflow_id, "t_idem_key": key, "t_created_at": now})
    return created.first() is not None
