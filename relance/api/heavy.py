"""Heavy requests run off the API's event loop, so /healthz, the outbox and every other tenant go on
while one runs. An import file (parsing, checking, rendering its templates, writing) runs in a child
process of its own (`apart`): in a thread, the C parts of a 20 MB import (validation, the database
driver's encoding) held the interpreter's lock for up to 2 s at a time, and a process also gives its
memory back when it ends. A preview (a few renders) runs in a worker thread (`run`). Either way with
an event loop and database connections of their own; one at a time per organisation (a second import
answers 429 with Retry-After: one already under way would be raced, not helped; a second preview waits
its turn), and at most MAX_AT_ONCE in all (the others wait: the machine has few cores). Every template
rendered by one request shares one time budget (relance.email.rendering.render_budget). A child's memory
is bounded (relance.importing.guard): past it, the child ends and the request is refused with 413."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request

from relance.api.problems import ProblemError
from relance.db import Database
from relance.email.rendering import render_budget
from relance.importing import guard
from relance.importing.importer import ImportRejected

T = TypeVar("T")
MAX_AT_ONCE = 2
# Children are forked from a server process started once with the API's modules loaded: a job starts in
# milliseconds, not the seconds a fresh interpreter takes, and inherits no thread of the API.
CHILDREN = multiprocessing.get_context("forkserver")
CHILDREN.set_forkserver_preload(["relance.api.app"])
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
        async with self._turn(organisation, wait), self._slots:
            return await asyncio.to_thread(_in_own_loop, database_url, work)

    async def apart(self, organisation: str, job: Callable[..., Awaitable[T]], *args: Any) -> T:
        """`job(*args)` (a module-level coroutine function, its arguments picklable) awaited in a child
        process; what it raises comes back as the problem it stands for."""
        async with self._turn(organisation, wait=False), self._slots:
            processes = ProcessPoolExecutor(1, mp_context=CHILDREN)
            try:
                # Starting a child waits for the fork server (seconds for the first, while it loads the
                # API's modules): in a thread, not on the loop.
                started = await asyncio.to_thread(processes.submit, _in_child, job, *args)
                outcome = await asyncio.wrap_future(started)
            except BrokenProcessPool as exc:  # the child's memory guard ended it (or the system did)
                raise ProblemError(413, guard.refusal(), [f"body: {guard.refusal()}"]) from exc
            finally:
                await asyncio.to_thread(processes.shutdown)
        if isinstance(outcome, _Refusal):
            raise ProblemError(outcome.status, outcome.detail, outcome.errors, outcome.headers)
        return outcome

    def _turn(self, organisation: str, wait: bool) -> asyncio.Lock:
        turn = self._organisations[organisation]
        if turn.locked() and not wait:
            raise ProblemError(429, f"an import for organisation {organisation!r} is already under way; "
                                    "send this one when it ends", headers={"Retry-After": "10"})
        return turn


@dataclass(frozen=True)
class _Refusal:
    """A refusal as it crosses back from a child process (ProblemError and ImportRejected do not pickle)."""

    status: int
    detail: str
    errors: list[str]
    headers: dict | None = None


def _in_child(job: Callable[..., Awaitable[T]], *args: Any) -> T | _Refusal:
    with guard.bounded(), render_budget():
        try:
            return asyncio.run(job(*args))
        except ImportRejected as exc:
            return _Refusal(422, f"{len(exc.problems)} problem(s), nothing was written", exc.problems)
        except ProblemError as exc:
            return _Refusal(exc.status, exc.detail, exc.errors, exc.headers)
        except ValueError as exc:
            return _Refusal(422, str(exc), [str(exc)])


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
