"""Errors as RFC 9457 problem details (`application/problem+json`), each naming the record and field.

Every failure a caller can cause maps here once: a missing record is a 404, a refused record (the
importer's, a payment's, a field's) a 422 listing every problem, a bad key a 401, two requests racing
for the same rows a 409 (with Retry-After when sending it again is the remedy)."""

from __future__ import annotations

from http import HTTPStatus

import structlog
from asyncpg.exceptions import PostgresError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from relance.importing.importer import ImportRejected
from relance.repository import NotFound
from relance.scenario.authoring import ScenarioRejected

MEDIA_TYPE = "application/problem+json"
UNIQUE_VIOLATION, NUMERIC_OUT_OF_RANGE = "23505", "22003"
# PostgreSQL's class 22, data exception: a value the request carried (a NUL, a string past its column)
# that typed bodies let through; the caller's problem, never a 500.
DATA_EXCEPTION = "22"
# Concurrent transactions PostgreSQL ended to let another go on (deadlock_detected,
# serialization_failure): the request's writes rolled back; the same request again is expected to pass.
RETRYABLE = {"40P01": "a deadlock", "40001": "a serialization failure"}
RETRY_AFTER_SECONDS = 1
UNREADABLE_BODY = "There was an error parsing the body"
log = structlog.get_logger("relance.api")


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[str] = []


class ProblemError(Exception):
    """Raised by a route to answer with a problem."""

    def __init__(self, status: int, detail: str, errors: list[str] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors or [], headers


def problem_response(request: Request, status: int, detail: str, errors: list[str] | None = None,
                     headers: dict | None = None) -> JSONResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, instance=request.url.path,
                   errors=errors or [])
    return JSONResponse(body.model_dump(), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple) -> str:
    """('body', 'payments', 0, 'amount') -> 'payments[0].amount'."""
    text = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or str(loc[0] if loc else "request")


def also_refused(request: Request, problems: list[str]) -> None:
    """Problems a route's dependency found in a body its fields refuse (an unknown account beside a bad
    date): the one 422 lists them with the field problems, not in a second round."""
    request.state.also_refused = problems


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError):
        return problem_response(request, exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return problem_response(request, 404, str(exc))

    @app.exception_handler(ImportRejected)
    async def _rejected(request: Request, exc: ImportRejected):
        return problem_response(request, 422, f"{len(exc.problems)} problem(s), nothing was written", exc.problems)

    @app.exception_handler(ScenarioRejected)
    async def _scenario_rejected(request: Request, exc: ScenarioRejected):
        return problem_response(request, 422, str(exc).splitlines()[0], list(getattr(exc, "problems", [])))

    @app.exception_handler(ValueError)
    async def _refused(request: Request, exc: ValueError):
        return problem_response(request, 422, str(exc).splitlines()[0], getattr(exc, "problems", [str(exc)]))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [f"{_field_path(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        errors += getattr(request.state, "also_refused", [])
        return problem_response(request, 422, "the request was refused, nothing was written", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if (exc.status_code, exc.detail) == (400, UNREADABLE_BODY):  # FastAPI's, for a body that is not UTF-8
            return problem_response(request, 422, "the request body is not JSON, nothing was written",
                                    ["body: not valid JSON (UTF-8)"])
        return problem_response(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _beyond_a_column(request: Request, exc: DBAPIError):
        """The backstop of the typed bodies (relance.api.contract): a number PostgreSQL cannot store is
        the caller's, not a failure; the transaction rolled back, nothing was written."""
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in RETRYABLE:
            return _concurrent(request, RETRYABLE[sqlstate])
        if sqlstate == NUMERIC_OUT_OF_RANGE:
            log.warning("a number reached the database beyond its column", path=request.url.path)
            return problem_response(request, 422, "a number in the request is beyond what relance stores, nothing "
                                    "was written", ["body: a number is out of range"])
        if sqlstate is not None and sqlstate.startswith(DATA_EXCEPTION):
            log.warning("a value reached the database that it cannot take", path=request.url.path, sqlstate=sqlstate)
            return problem_response(request, 422, "a value in the request cannot be stored or looked up (too long, "
                                    "or a character such as NUL), nothing was written",
                                    ["body: a value cannot be stored"])
        return await _unexpected(request, exc)

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError):
        """Two requests writing the same record at once (one payment ref posted twice, unkeyed): the
        database keeps one, the other is told so rather than failing."""
        if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            return await _unexpected(request, exc)
        return problem_response(request, 409, "another request wrote the same record at the same moment; "
                                "nothing was written by this one: read it, or retry")


    @app.exception_handler(PostgresError)
    async def _driver_error(request: Request, exc: PostgresError):
        """What the driver raises where no SQLAlchemy session wraps it."""
        if exc.sqlstate in RETRYABLE:
            return _concurrent(request, RETRYABLE[exc.sqlstate])
        return await _unexpected(request, exc)

    def _concurrent(request: Request, what: str):
        log.info("a request met a concurrent one in the database", path=request.url.path, conflict=what)
        return problem_response(request, 409, f"another request was changing the same records at the same moment "
                                f"({what}); nothing was written by this one: send it again",
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    async def _unexpected(request: Request, exc: Exception):
        log.error("request failed", path=request.url.path, error=type(exc).__name__)
        return problem_response(request, 500, "relance could not answer; the error is in its log")


def documented(*statuses: int) -> dict:
    """The OpenAPI `responses` of a route's problems, so a client (and schemathesis) knows them."""
    return {status: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": HTTPStatus(status).phrase}
            for status in statuses}
