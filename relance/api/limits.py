"""Request bodies have a size limit: a body over it is refused with 413 before it is read whole. The
references in a path are identifiers: one too long or with a NUL character (which PostgreSQL refuses in
text) is refused with 422 naming it, before any route reads the database; so is a NUL in a query."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relance import limits
from relance.api.problems import ProblemError, problem_response

# An import file is the largest body a caller sends; one invoice or payment is a few hundred bytes.
MAX_BODY_BYTES = 20 * 1024 * 1024


# A body's free text: what PostgreSQL takes (no NUL), bounded.
Text = Annotated[str, Field(min_length=1, max_length=limits.MAX_NAME_LENGTH), AfterValidator(limits.check_text)]
# A body's reference to a record (a user's email, a key): an identifier.
Reference = Annotated[str, Field(min_length=1, max_length=limits.MAX_ID_LENGTH),
                      AfterValidator(limits.check_identifier)]


class TooLarge(Exception):
    pass


def parameters_the_database_takes(request: Request) -> None:
    """An app-wide dependency: every path parameter is checked as an identifier, and no query parameter
    may carry a NUL character."""
    errors = []
    for name, value in request.path_params.items():
        try:
            limits.check_identifier(str(value))
        except ValueError as exc:
            errors.append(f"path.{name}: {exc}")
    errors += [f"query.{name}: contains a NUL character" for name, value in request.query_params.multi_items()
               if "\x00" in value]
    if errors:
        raise ProblemError(422, "the request names no valid record", errors)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(request, scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise TooLarge
            return message

        started = False

        async def watch(message: Message) -> None:
            """A body found too big while being read (sent chunked, no length declared) is answered 413,
            whatever the route made of the interrupted read (FastAPI calls it a body it cannot parse)."""
            nonlocal started
            if seen > self.max_bytes:
                if not started:
                    started = True
                    await self._refuse(request, scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except TooLarge:
            if not started:
                await self._refuse(request, scope, receive, send)

    async def _refuse(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(request, 413, f"the request body is over {self.max_bytes} bytes",
                                    [f"body: at most {self.max_bytes} bytes"])
        await response(scope, receive, send)
