"""What every route needs, made once per process: the database, the Temporal client, the mailer.

Temporal is connected on first use, not at start, so the API starts (and /healthz answers) while
Temporal is still coming up; a route that needs it then answers 503, and /readyz says why."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import Request
from temporalio.client import Client

from relance.api.problems import ProblemError
from relance.config import Settings
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.temporal.client import connect


@dataclass
class Services:
    settings: Settings
    db: Database
    mailer: SesMailer
    _client: Client | None = None
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def start(cls, settings: Settings) -> Services:
        return cls(settings, Database(settings.database_url), SesMailer(settings))

    async def client(self) -> Client:
        async with self._connecting:
            if self._client is None:
                try:
                    self._client = await connect(self.settings)
                except RuntimeError as exc:  # the SDK's "Failed client connect"
                    raise ProblemError(503, f"Temporal is not reachable at {self.settings.temporal_address}: "
                                            f"{exc}", headers={"Retry-After": "5"}) from exc
            return self._client

    async def close(self) -> None:
        await self.db.close()


def services(request: Request) -> Services:
    return request.app.state.services
