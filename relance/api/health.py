"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: PostgreSQL and Temporal answer)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from relance.api.services import Services, services

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health, "description": "Not ready"}})
async def readyz(svc: Services = Depends(services)):
    checks = {"database": await _check(_database(svc)), "temporal": await _check(_temporal(svc))}
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(Health(status="ok" if ready else "unavailable", checks=checks).model_dump(),
                        status_code=200 if ready else 503)


async def _database(svc: Services) -> None:
    async with svc.db.session() as session:
        await session.exec(text("SELECT 1"))


async def _temporal(svc: Services) -> None:
    client = await svc.client()
    await client.service_client.check_health()


async def _check(probe) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return f"unavailable: {getattr(exc, 'detail', None) or str(exc) or type(exc).__name__}"
    return "ok"
