"""`Idempotency-Key` on POST, PUT and DELETE: a retried request gets the first answer, and nothing is
done twice; the same key with another request is a 422; a second copy arriving while the first is in
flight is a 409 (retry it). Answers are kept for a day, per API key (two tenants' keys never meet),
then purged (by the next request that carries a key) and the key is new again.

An answer that shows a secret once (a new API key, a webhook endpoint's secret: `shown_once`) is not
kept: a retry of it is still done once, and answers 409 saying the secret was shown in the first answer.

A pure ASGI middleware: it must see the raw body (to compare requests) and the whole answer (to keep
it), which route dependencies cannot."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import IdempotentRequest
from relance import apikeys
from relance.api.problems import problem_response

HEADER = "idempotency-key"
METHODS = {"POST", "PUT", "DELETE", "PATCH"}
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Answers a retry must not replay: the caller's key was refused, or relance failed (a retry may succeed).
NOT_KEPT = {401, 403, 429}
# The header an answer that shows a secret carries: no cache keeps it, and neither does this store.
NO_STORE = "no-store"
_TABLE = IdempotentRequest.__table__


def shown_once(response: Response) -> None:
    """Mark a route's answer as showing a secret once: it is never kept nor replayed."""
    response.headers["Cache-Control"] = NO_STORE


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        idem_key = request.headers.get(HEADER)
        if idem_key is None:
            return await self.app(scope, receive, send)
        if not 1 <= len(idem_key) <= MAX_KEY_LENGTH:
            return await problem_response(request, 422, f"header Idempotency-Key: 1 to {MAX_KEY_LENGTH} characters",
                                          [f"Idempotency-Key: has {len(idem_key)} characters"])(scope, receive, send)
        svc = scope["app"].state.services
        holder = await _holder(svc.db, request)
        if holder is None:  # the route answers 401; nothing is kept for an unknown key
            return await self.app(scope, receive, send)
        body = await request.body()
        fingerprint = _fingerprint(scope, body)
        claimed = await _claim(svc.db, holder.key_id, idem_key, fingerprint)
        if claimed is not None:
            return await _answer_again(request, claimed, fingerprint)(scope, receive, send)
        await self._first_answer(scope, body, send, svc.db, holder.key_id, idem_key)

    async def _first_answer(self, scope: Scope, body: bytes, send: Send, db, key_id: int, idem_key: str) -> None:
        answer: dict = {"status": 500, "content_type": None, "body": b""}
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = dict(message.get("headers", []))
                answer["content_type"] = headers.get(b"content-type", b"").decode() or None
                answer["secret"] = NO_STORE in headers.get(b"cache-control", b"").decode()
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body, keep)
        finally:
            await _settle(db, key_id, idem_key, answer)


async def _holder(db, request: Request) -> apikeys.KeyHolder | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return await apikeys.authenticate(db, token.strip(), datetime.now(UTC))


def _fingerprint(scope: Scope, body: bytes) -> str:
    request_line = f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}\n".encode()
    return hashlib.sha256(request_line + body).hexdigest()


async def _claim(db, key_id: int, idem_key: str, fingerprint: str) -> IdempotentRequest | None:
    """Claim the key for this request; returns None when claimed, else the earlier request's row."""
    async with db.session() as session:
        # Every key's expired answers, not only this one's: none is kept past its day (indexed).
        await session.exec(delete(IdempotentRequest).where(IdempotentRequest.created_at < datetime.now(UTC) - KEPT_FOR))
        inserted = (await session.exec(insert(_TABLE).values(
            api_key_id=key_id, idem_key=idem_key, request_hash=fingerprint,
        ).on_conflict_do_nothing().returning(_TABLE.c.id))).first()
        if inserted is not None:
            return None
        return (await session.exec(select(IdempotentRequest).where(
            IdempotentRequest.api_key_id == key_id, IdempotentRequest.idem_key == idem_key))).one()


def _answer_again(request: Request, earlier: IdempotentRequest, fingerprint: str):
    if earlier.request_hash != fingerprint:
        return problem_response(request, 422, "this Idempotency-Key was used for another request; "
                                              "use a new key for a new request",
                                ["Idempotency-Key: already used with another method, path or body"])
    if earlier.status is None:
        return problem_response(request, 409, "the first request with this Idempotency-Key is still being "
                                              "answered; retry in a moment", headers={"Retry-After": "1"})
    if earlier.body is None:
        return problem_response(request, 409, f"the first request with this Idempotency-Key succeeded (HTTP "
                                              f"{earlier.status}) and showed a secret once, which relance does not "
                                              "keep: it cannot be shown again. List the resource to see it without "
                                              "its secret, or create another with a new key")
    return Response(earlier.body, status_code=earlier.status, media_type=earlier.content_type,
                    headers={"Idempotent-Replayed": "true"})


async def _settle(db, key_id: int, idem_key: str, answer: dict) -> None:
    """Keep the answer, or free the key when the answer must not be replayed."""
    where = (IdempotentRequest.api_key_id == key_id, IdempotentRequest.idem_key == idem_key)
    async with db.session() as session:
        if answer["status"] >= 500 or answer["status"] in NOT_KEPT:
            await session.exec(delete(IdempotentRequest).where(*where))
            return
        row = (await session.exec(select(IdempotentRequest).where(*where))).one()
        row.status = answer["status"]
        if not answer.get("secret"):  # an answer with a secret keeps its status only: body None
            row.content_type, row.body = answer["content_type"], answer["body"]
        session.add(row)
