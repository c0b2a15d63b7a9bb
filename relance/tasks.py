"""Tasks the automations create for a user, at most once per idempotency key, about any subject; the host's
agenda lists them and closes them (with who and when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import About, AppUser, Task
from relance import repository
from relance.db import Database

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


@dataclass
class TaskView:
    """A task as the host's agenda shows it: what it is about, for whom, open or closed by whom and when."""

    id: int
    about_kind: str
    about_ref: str
    title: str
    due_on: date
    assignee: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None


def _view(task: Task, assignee: str | None) -> TaskView:
    return TaskView(task.id, task.about_kind, task.about_ref, task.title, task.due_on, assignee, task.created_at,
                    task.closed_at, task.closed_by)


_WITH_ASSIGNEE = select(Task, AppUser.email).outerjoin(AppUser, AppUser.id == Task.assignee_user_id)


async def list_tasks(db: Database, org_slug: str, *, about: About | None = None, assignee: str | None = None,
                     closed: bool | None = None, limit: int = 500) -> list[TaskView]:
    """The organisation's tasks, oldest due first; each filter is optional (`about.ref` empty: any of its kind)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        query = _WITH_ASSIGNEE.where(Task.org_id == org.id)
        if about is not None:
            query = query.where(Task.about_kind == about.kind, *([Task.about_ref == about.ref] if about.ref else []))
        if assignee is not None:
            query = query.where(AppUser.email == assignee)
        if closed is not None:
            query = query.where(Task.closed_at.is_not(None) if closed else Task.closed_at.is_(None))
        rows = (await session.exec(query.order_by(Task.due_on, Task.id).limit(limit))).all()
    return [_view(task, email) for task, email in rows]


async def close_task(db: Database, org_slug: str, task_id: int, by: str, now: datetime) -> tuple[TaskView, bool]:
    """Close the task with who and when; closing it again keeps the first close (False: it was closed already)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        row = (await session.exec(_WITH_ASSIGNEE.where(Task.org_id == org.id, Task.id == task_id)
                                  .with_for_update(of=Task))).first()
        if row is None:
            raise repository.NotFound(f"task {task_id} of organisation {org_slug!r} not found")
        task, email = row
        closing = task.closed_at is None
        if closing:
            task.closed_at, task.closed_by = now, by
            session.add(task)
        return _view(task, email), closing
