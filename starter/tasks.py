"""The host's agenda closes a task: recorded with who and when, and told as a `task.closed` webhook."""

from __future__ import annotations

from datetime import datetime

from temporalio.client import Client

from relance import calendar, repository, tasks
from relance.db import Database
from relance.temporal.queues import webhook_queue
from relance.webhooks.events import TASK_CLOSED
from relance.webhooks.publishing import Event, Publisher


async def close_task(client: Client, db: Database, task_queue: str, org_slug: str, task_id: int, by: str,
                     now: datetime) -> tasks.TaskView:
    """Closing a closed task changes nothing and tells nothing again (the first close stands)."""
    view, closing = await tasks.close_task(db, org_slug, task_id, by, now)
    if not closing:
        return view
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
    data = {"task_id": view.id, "about": {"kind": view.about_kind, "ref": view.about_ref}, "title": view.title,
            "assignee": view.assignee, "closed_by": view.closed_by,
            "closed_at": calendar.iso(view.closed_at, org.timezone)}
    await Publisher(db, client, webhook_queue(task_queue)).publish(
        Event(org.id, org_slug, TASK_CLOSED, f"task.closed:{view.id}", data, now))
    return view
