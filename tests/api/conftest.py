"""The API in-process over httpx's ASGI transport, on the test stack's database, Temporal test server
and local SES (the same pieces the CLI tests use), with one organisation key per test."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx
import pytest
from temporalio.client import Client

from relance import apikeys
from relance.api.services import Services
from tests.shared_app import app_serving, release


@dataclass
class Api:
    http: httpx.AsyncClient
    stack: object
    key: str

    def auth(self, key: str | None = None) -> dict:
        return {"Authorization": f"Bearer {key or self.key}"}

    async def get(self, path: str, key: str | None = None, **kwargs) -> httpx.Response:
        return await self.http.get(path, headers=self.auth(key), **kwargs)

    async def post(self, path: str, json=None, key: str | None = None, headers: dict | None = None,
                   **kwargs) -> httpx.Response:
        return await self.http.post(path, json=json, headers={**self.auth(key), **(headers or {})}, **kwargs)

    async def put(self, path: str, json=None, key: str | None = None, headers: dict | None = None) -> httpx.Response:
        return await self.http.put(path, json=json, headers={**self.auth(key), **(headers or {})})

    async def key_for(self, slug: str | None) -> str:
        return (await apikeys.create_key(self.stack.db, slug, "test", datetime.now(UTC)))[1]


@asynccontextmanager
async def serving(stack, settings, client: Client):
    """`api.key` opens the stack's organisation (loaded with the default scenario, no invoice yet)."""
    await stack.load(stack.org())
    app_settings = replace(settings, task_queue=stack.task_queue)
    app = app_serving(Services(app_settings, stack.db, stack.mailer, _client=client))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relance.test") as http:
            helper = Api(http, stack, "")
            helper.key = await helper.key_for(stack.slug)
            yield helper
    finally:
        release(app)


@pytest.fixture
async def api(stack, settings):
    """On the time-skipping test server (which has no Schedules: imports that make them need `dev_api`)."""
    async with serving(stack, settings, stack.client) as helper:
        yield helper


@pytest.fixture
async def dev_api(stack, settings, dev_stack):
    """On the real dev server, with a worker: imports create the nightly Schedules there."""
    client, task_queue, _ = dev_stack
    stack.task_queue = task_queue
    async with serving(stack, settings, client) as helper:
        yield helper
