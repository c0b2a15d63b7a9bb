"""Heavy requests (an import file: parsing, checking, rendering its templates, writing; a preview that
renders templates) run off the API's event loop, so /healthz, the outbox and every other tenant go on
while one runs: in a worker thread with an event loop and database connections of its own. One at a
time per organisation (a second import answers 429 with Retry-After: one already under way would be
raced, not helped; a second preview waits its turn), and at most MAX_AT_ONCE in all (the others wait:
the machine has few cores). Every template rendered by one request shares one time budget
(relance.email.rendering.render_budget)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request

from relance.api.problems import ProblemError
from relance.db import Database
from relance.email.rendering import render_budget

T = TypeVar("T")
MAX_AT_ONCE = 2
DATABASE_CONNECTIONS = 2  # the thread's own pool: an import writes in one transaction


class HeavyRequests:
    def __init__(self, at_once: int = MAX_AT_ONCE):
        self._slots = asyncio.Semaphore(at_once)
        self._organisations: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def run(self, organisation: str, database_url: str, work: Callable[[Database], Awaitable[T]], *,
                  wait: bool = False) -> T:
        """`work` awaited in a worker thread's event loop with a Database of its own on `database_url`.
        What it needs from this loop (the Temporal client) it must be given already made. While another
        heavy request of the organisation runs: 429, or with `wait`, after it."""
        turn = self._organisations[organisation]
        if turn.locked() and not wait:
            raise ProblemError(429, f"an import for organisation {organisation!r} is already under way; "
                                    "send this one when it ends", headers={"Retry-After": "10"})
        async with turn, self._slots:
            return await asyncio.to_thread(_in_own_loop, database_url, work)


def _in_own_loop(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def with_database() -> T:
        db = Database(database_url, pool_size=DATABASE_CONNECTIONS)
        try:
            return await work(db)
        finally:
            await db.close()

    with render_budget():
        return asyncio.run(with_database())


def heavy_requests(request: Request) -> HeavyRequests:
    """The app's one HeavyRequests, made on first use (inside the running loop its semaphore belongs to)."""
    state = request.app.state
    if not hasattr(state, "heavy_requests"):
        state.heavy_requests = HeavyRequests()
    return state.heavy_requests
