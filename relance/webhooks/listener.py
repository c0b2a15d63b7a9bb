"""`relance webhook listen`: a small local receiver that prints each event it gets, one line: its type,
its id, and whether its Standard Webhooks signature is the secret of an endpoint registered for this
address (looked up at each request, so the receiver may start before the endpoint is registered), or
the secret given with --secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from standardwebhooks.webhooks import WebhookVerificationError

from relance.webhooks import signing

# Where `relance webhook listen` listens unless told: `relance up` lets its worker and API send there.
LOCAL_HOST, LOCAL_PORT = "127.0.0.1", 8765


Secrets = Callable[[], Awaitable[list[str]]]


def receiver(secrets: Secrets, say: Callable[[str], None]) -> web.Application:
    """Answers 204, or 401 when the signature is none of the known secrets' (relance then retries)."""

    async def receive(request: web.Request) -> web.Response:
        payload = await request.read()
        known = await secrets()
        verified = any(_signed_with(secret, payload, request) for secret in known)
        say(f"{_event_type(payload)}  {request.headers.get('webhook-id', '(no webhook-id)')}  "
            f"verified {'yes' if verified else 'no' if known else 'no (no endpoint registered here, no --secret)'}")
        return web.Response(status=401 if known and not verified else 204)

    app = web.Application()
    app.router.add_post("/{path:.*}", receive)
    return app


async def listen(host: str, port: int, secrets: Secrets, say: Callable[[str], None]) -> None:
    """Serve until cancelled (Ctrl-C)."""
    runner = web.AppRunner(receiver(secrets, say), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        say(f"listening on http://{host}:{port}/, verifying signatures; Ctrl-C stops")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _signed_with(secret: str, payload: bytes, request: web.Request) -> bool:
    try:
        signing.verify(secret, payload, dict(request.headers))
    except WebhookVerificationError:
        return False
    return True


def _event_type(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("type", "(no type)"))
    except (ValueError, AttributeError):
        return "(not JSON)"
