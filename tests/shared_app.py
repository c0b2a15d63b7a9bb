"""The app the in-process API and outbox tests share, one at a time: FastAPI works out how to handle
each route on an app's first request to it (0.35 to 0.5 s of CPU for relance's routes), so a test
takes an idle app of its process rather than making its own. What a test leaves on the app (its
services, the heavy-request semaphore of its event loop) goes with `app.state`, made anew."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import State

from relance.api.app import create_app
from relance.api.services import Services

_idle: list[FastAPI] = []


def app_serving(services: Services) -> FastAPI:
    """An app no test is using, serving `services` (the lifespan, which would make its own, never runs
    under httpx's ASGI transport)."""
    app = _idle.pop() if _idle else create_app(services.settings)
    app.state = State()
    app.state.services = services
    return app


def release(app: FastAPI) -> None:
    app.state = State()
    _idle.append(app)
