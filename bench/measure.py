"""What every phase needs: bounded-concurrency starts, polling until a count is reached, process
CPU and memory read from the operating system's own accounting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable

import psutil

POLL_SECONDS = 0.1
# In-flight starts for the baseline; the sweep starts with its own limit (activities/dunning.py START_CONCURRENCY).
START_CONCURRENCY = 32


async def bounded(calls: Iterable[Callable[[], Awaitable]], limit: int = START_CONCURRENCY) -> list:
    gate = asyncio.Semaphore(limit)

    async def one(call):
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


async def until(count: Callable[[], Awaitable[int]], target: int, timeout: float,
                alive: Callable[[], None] = lambda: None) -> float:
    """Poll `count()` until it reaches `target`; return the perf_counter time it was first seen."""
    deadline = time.perf_counter() + timeout
    while True:
        seen = await count()
        now = time.perf_counter()
        if seen >= target:
            return now
        alive()
        if now > deadline:
            raise TimeoutError(f"only {seen} of {target} after {timeout:.0f} s")
        await asyncio.sleep(POLL_SECONDS)


def cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU of the process and its live children, plus the children it has reaped
    (PostgreSQL's backends that ended), as the kernel accounts it."""
    own = proc.cpu_times()
    total = own.children_user + own.children_system
    for p in [proc, *proc.children(recursive=True)]:
        times = p.cpu_times()
        total += times.user + times.system
    return total


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores, every process)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def rss_mb(proc: psutil.Process) -> float:
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


async def chain_histories(client, handle) -> list[tuple[int, int]]:
    """(events, bytes) of each run of a workflow's continue-as-new chain, first to last: the figures the
    server's limits are about (50Ki events, 50 MB per run)."""
    runs, run_id = [], handle.first_execution_run_id or handle.run_id
    while run_id:
        events = [e async for e in client.get_workflow_handle(handle.id, run_id=run_id).fetch_history_events()]
        runs.append((len(events), sum(e.ByteSize() for e in events)))
        last = events[-1]
        run_id = (last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                  if last.HasField("workflow_execution_continued_as_new_event_attributes") else None)
    return runs
