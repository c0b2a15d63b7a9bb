"""Failure injection in front of the local SES endpoint: a small HTTP proxy that answers SES's own
Throttling error ("Maximum sending rate exceeded.") to a share of SendRawEmail calls and forwards
everything else, untouched, to the endpoint. Not a mock: what gets through is the real local SES."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

RATE_EXCEEDED = "Maximum sending rate exceeded."
DAILY_QUOTA = "Daily message quota exceeded."


def throttling(message: str) -> bytes:
    """SES's Throttling error, as its query API answers it."""
    return (f'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
            f'<Code>Throttling</Code><Message>{message}</Message></Error>'
            f'<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>').encode()


@dataclass
class ThrottlingProxy:
    upstream: str
    share: float  # of SendRawEmail calls answered Throttling
    port: int
    seed: int = 16
    message: str = RATE_EXCEEDED
    throttled: int = 0
    forwarded_sends: int = 0
    _runner: web.AppRunner | None = field(default=None, init=False)
    _session: aiohttp.ClientSession | None = field(default=None, init=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._random = random.Random(self.seed)
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
        if self._session:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if b"Action=SendRawEmail" in body:
            if self._random.random() < self.share:
                self.throttled += 1
                return web.Response(status=400, body=throttling(self.message), content_type="text/xml")
            self.forwarded_sends += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(request.method, f"{self.upstream}{request.rel_url}", data=body,
                                         headers=headers) as answer:
            payload = await answer.read()
            kept = {k: v for k, v in answer.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
            return web.Response(status=answer.status, body=payload, headers=kept)
