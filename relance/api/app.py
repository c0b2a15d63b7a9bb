"""The HTTP API: `relance api` serves it (uvicorn), `relance up` starts it beside the rest.

OpenAPI at /openapi.json, interactive docs at /docs and /redoc (their scripts served from the
fastapi-offline package, ReDoc's by relance.api.docs: the pages work without internet). Every route is
confined to its API key's organisation; errors are problem details; POSTs take an Idempotency-Key."""

from __future__ import annotations

from contextlib import asynccontextmanager

import structlog
from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Receive, Scope, Send

from relance.api import (
    accounts,
    agency,
    customers,
    docs,
    documents,
    dunning,
    health,
    imports,
    marketing,
    pipeline,
    problems,
    renewal,
    reports,
    runs,
    scenarios,
    simulation,
    tasks,
    templates,
    webhooks,
)
from relance.api import settings as settings_routes
from relance.api.contract import organisation_zone
from relance.api.idempotency import IdempotencyMiddleware
from relance.api.limits import MAX_BODY_BYTES, BodyLimitMiddleware, TooLarge, parameters_the_database_takes
from relance.api.services import Services
from relance.config import Settings
from relance.web import install as install_outbox

DESCRIPTION = """relance's HTTP API for the host application: invoices and their dunning runs, contracts and
their renewal notices, marketing enrolments and consent, imports.
Authenticate with `Authorization: Bearer <key>` (`relance apikey create ORG`).
Errors are RFC 9457 problem details naming the record and the field. POST, PUT and DELETE accept an
`Idempotency-Key` header: a retry with the same key and body gets the first answer, nothing is done twice."""


class RequestContext:
    """Each request's log lines carry its method and path, never its headers (keys) or body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        structlog.contextvars.clear_contextvars()
        organisation_zone.set(None)
        structlog.contextvars.bind_contextvars(method=scope["method"], path=scope["path"])
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = Services.start(settings)
        try:
            yield
        finally:
            await app.state.services.close()

    app = FastAPIOffline(title="relance", version="1", description=DESCRIPTION, lifespan=lifespan, redoc_url=None,
                         dependencies=[Depends(parameters_the_database_takes)])
    problems.install(app)

    @app.exception_handler(TooLarge)
    async def _too_large(request, exc: TooLarge):
        return problems.problem_response(request, 413, f"the request body is over {max_body_bytes} bytes",
                                         [f"body: at most {max_body_bytes} bytes"])

    for module in (health, imports, dunning, documents, renewal, webhooks, marketing, pipeline, agency, scenarios,
                   templates, settings_routes, simulation, runs, tasks, customers, reports, accounts):
        app.include_router(module.router)
    app.include_router(marketing.unsubscribe_router)
    docs.install(app)  # /redoc, its logo served here (relance.api.docs)
    install_outbox(app)  # the agency outbox's pages, /outbox (relance.web)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(RequestContext)
    return app
