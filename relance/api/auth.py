"""Who is calling: `Authorization: Bearer <key>`. An organisation's key reaches only its organisation
(every route names records by the key's organisation, so another's record is simply not found); an
admin key only creates organisations. No key, a wrong or a revoked key: 401, before anything is read
or written. The key itself is never logged."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from relance import apikeys
from relance.api.contract import organisation_zone
from relance.api.problems import ProblemError
from relance.api.services import Services, services

bearer = HTTPBearer(auto_error=False, description="an API key made by `relance apikey create ORG`")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def key_holder(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                     svc: Services = Depends(services)) -> apikeys.KeyHolder:
    if credentials is None:
        raise ProblemError(401, "this call needs an API key: Authorization: Bearer <key>", headers=CHALLENGE)
    holder = await apikeys.authenticate(svc.db, credentials.credentials, datetime.now(UTC))
    if holder is None:
        raise ProblemError(401, "the API key is unknown or revoked", headers=CHALLENGE)
    structlog.contextvars.bind_contextvars(api_key_id=holder.key_id, org=holder.org_slug)
    request.state.key_holder = holder
    return holder


async def organisation(holder: apikeys.KeyHolder = Depends(key_holder)) -> str:
    """The slug of the key's organisation: the only one this request may touch."""
    if holder.is_admin:
        raise ProblemError(403, "an admin key only creates organisations; use an organisation's key")
    organisation_zone.set(holder.timezone)
    return holder.org_slug


async def caller(holder: apikeys.KeyHolder = Depends(key_holder)) -> str:
    """Who asks, as the timelines record it: "API key <name>"."""
    return f"API key {holder.name or holder.key_id}"


async def admin(holder: apikeys.KeyHolder = Depends(key_holder)) -> apikeys.KeyHolder:
    if not holder.is_admin:
        raise ProblemError(403, "creating organisations needs an admin key (`relance apikey create --admin`)")
    return holder
