"""Every problem of a body in one 422: when a body's fields are refused, the records it names (an
account, a contact, an opportunity, a template...) are looked up too, and the answer lists both kinds
(relance.api.problems.also_refused), instead of naming an unknown account only once the date is fixed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from relance import limits
from relance.api.auth import organisation
from relance.api.problems import also_refused
from relance.api.services import Services, services

# (services, organisation, path parameters, the body as sent) -> the problems of the records it names
ReferenceCheck = Callable[[Services, str, dict[str, Any], dict], Awaitable[list[str]]]


def looked_up(raw: dict, name: str) -> str | None:
    """The body's `name` when it is text the database can look up (else its field problem says why)."""
    value = raw.get(name)
    try:
        return limits.check_identifier(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def with_field_problems(body: type[BaseModel], check: ReferenceCheck) -> Any:
    """A route dependency: when `body` refuses the request's fields, `check` runs on what was sent and
    its problems join the one 422."""
    async def references_too(request: Request, org: str = Depends(organisation),
                             svc: Services = Depends(services)) -> None:
        try:
            raw = await request.json()
        except ValueError:  # not JSON: the body's own problem says so
            return
        if not isinstance(raw, dict):
            return
        try:
            body.model_validate(raw)
        except ValidationError:
            also_refused(request, await check(svc, org, dict(request.path_params), raw))

    return Depends(references_too)
