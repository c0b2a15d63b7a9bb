"""`relance webhook listen`: a small local receiver that prints each event it gets, one line: its type,
its id, and whether its Standard Webhooks signature is the given secret's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from aiohttp import web
from standardwebhooks.webhooks import WebhookVerificationError

from relance.webhooks import signing

# Where `relance webhook listen` listens unless told: `relance up` lets its worker and API send there.
LOCAL_HOST, LOCAL_PORT = "127.0.0.1", 8765


def receiver(secret: str | None, say: Callable[[str], None]) -> web.Application:
    """Answers 204, or 401 when a secret is given and the signature is not its (relance then retries)."""

    async def receive(request: web.Request) -> web.Response:
        payload = await request.read()
        verified = False
        if secret:
            try:
                signing.verify(secret, payload, dict(request.headers))
                verified = True
            except WebhookVerificationError:
                pass
        say(f"{_event_type(payload)}  {request.headers.get('webhook-id', '(no webhook-id)')}  "
            f"verified {'yes' if verified else 'no' if secret else 'no (no --secret given)'}")
        return web.Response(status=401 if secret and not verified else 204)

    app = web.Application()
    app.router.add_post("/{path:.*}", receive)
    return app


async def listen(host: str, port: int, secret: str | None, say: Callable[[str], None]) -> None:
    """Serve until cancelled (Ctrl-C)."""
    runner = web.AppRunner(receiver(secret, say), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        say(f"listening on http://{host}:{port}/ ({'verifying signatures' if secret else 'not verifying: no --secret'})"
            "; Ctrl-C stops")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _event_type(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("type", "(no type)"))
    except (ValueError, AttributeError):
        return "(not JSON)"
