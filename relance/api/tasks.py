"""Tasks for the host's agenda: the list (by what they are about, assignee, open or closed) and closing
one with who and when, which `task.closed` webhooks tell. Times in the organisation's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from models import About
from relance import calendar, limits, tasks
from relance.api.auth import caller, organisation
from relance.api.limits import Text
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.repository import organisation as organisation_row
from starter.tasks import close_task

router = APIRouter(prefix="/v1", tags=["tasks"], responses=documented(401, 403, 404, 413, 422, 503))
Filter = Annotated[str | None, Query(min_length=1, max_length=limits.MAX_ID_LENGTH)]


class TaskOut(BaseModel):
    id: int
    about_kind: str = Field(description="invoice | contract | contact | opportunity | ...")
    about_ref: str
    title: str
    due_on: date
    assignee: str | None = Field(description="the assignee's email")
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: Text | None = Field(default=None, description="who closed it (a user); default: the API key")


async def _timezone(svc: Services, org: str) -> str:
    async with svc.db.session() as session:
        return (await organisation_row(session, org)).timezone


def _out(view: tasks.TaskView, tz: str) -> TaskOut:
    return TaskOut(**{**view.__dict__, "created_at": calendar.in_zone(view.created_at, tz),
                      "closed_at": calendar.in_zone_or_none(view.closed_at, tz)})


@router.get("/tasks", response_model=list[TaskOut])
async def list_tasks(about_kind: Filter = None, about_ref: Filter = None, assignee: Filter = None,
                     state: Literal["open", "closed"] | None = Query(None, description="default: both"),
                     limit: int = Query(500, ge=1, le=5000), org: str = Depends(organisation),
                     svc: Services = Depends(services)) -> list[TaskOut]:
    """The organisation's tasks, oldest due first."""
    if about_ref is not None and about_kind is None:
        raise ProblemError(422, "about_ref needs about_kind (an invoice number, a contract ref...)",
                           ["about_kind: required with about_ref"])
    about = About(about_kind, about_ref or "") if about_kind else None
    found = await tasks.list_tasks(svc.db, org, about=about, assignee=assignee,
                                   closed=None if state is None else state == "closed", limit=limit)
    tz = await _timezone(svc, org)
    return [_out(view, tz) for view in found]


@router.post("/tasks/{task_id}/close", response_model=TaskOut)
async def close(body: CloseBody, task_id: int = Path(ge=1, le=2**31 - 1), org: str = Depends(organisation),
                key: str = Depends(caller), svc: Services = Depends(services)) -> TaskOut:
    """Close the task now, with who; closing it again keeps the first close and tells nothing twice."""
    view = await close_task(await svc.client(), svc.db, svc.settings.task_queue, org, task_id, body.by or key,
                            datetime.now(UTC))
    return _out(view, await _timezone(svc, org))
