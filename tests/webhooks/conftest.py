"""A local webhook receiver (aiohttp on a free port) that can fail on purpose, and helpers to wait
for deliveries."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from sqlmodel import select

from models import Organisation, WebhookAttempt, WebhookDelivery
from tests.conftest import free_port


@dataclass
class Request:
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """Answers 204, except: the first `fail_first` requests of each webhook-id get 500, and every
    request gets `always` when it is set (503: down, 410: gone)."""

    port: int
    fail_first: int = 0
    always: int | None = None
    requests: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/relance"

    def accepted(self) -> list[Request]:
        return [r for r in self.requests if 200 <= r.status < 300]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        seen = sum(r.headers.get("webhook-id") == request.headers.get("webhook-id") for r in self.requests)
        status = self.always or (500 if seen < self.fail_first else 204)
        self.requests.append(Request({k.lower(): v for k, v in request.headers.items()}, body, status))
        return web.Response(status=status)


@pytest.fixture
async def receiver():
    found = Receiver(free_port())
    app = web.Application()
    app.router.add_post("/{path:.*}", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", found.port).start()
    yield found
    await runner.cleanup()


async def until(condition, timeout: float = 60):
    """Wait in real time (a delivery's first attempt does not wait for virtual time) until
    `condition()` (sync or async) holds; its value."""
    for _ in range(int(timeout * 10)):
        result = condition()
        if hasattr(result, "__await__"):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not met in {timeout} s")


async def deliveries(db, org_slug: str) -> list[WebhookDelivery]:
    async with db.session() as session:
        org = (await session.exec(select(Organisation).where(Organisation.slug == org_slug))).one()
        return list((await session.exec(select(WebhookDelivery).where(WebhookDelivery.org_id == org.id)
                                        .order_by(WebhookDelivery.id))).all())


async def attempts(db, delivery_id: int) -> list[WebhookAttempt]:
    async with db.session() as session:
        return list((await session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                        .order_by(WebhookAttempt.id))).all())


async def org_id(db, org_slug: str) -> int:
    async with db.session() as session:
        return (await session.exec(select(Organisation.id).where(Organisation.slug == org_slug))).one()
