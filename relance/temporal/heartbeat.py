"""Heartbeating while an activity waits its turn (SES's pace, one of the worker's database connections),
which can outlast its heartbeat timeout.

A send's heartbeat timeout is there to notice a dead worker within seconds; a send waiting for its slot
in the pace or for a connection is alive. Only waits are wrapped, never the call to SES itself: a call
that hangs is noticed by the timeout, as a death would be, and settled as uncertain. A last beat as a
wait ends gives the call that follows the whole timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity

# Beats per heartbeat timeout: the SDK sends at most one every 0.8 x timeout anyway.
BEATS_PER_TIMEOUT = 3


@asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """Heartbeat (without details) while the body runs, when in an activity that has a heartbeat
    timeout. Not for activities whose heartbeat details say where to resume."""
    timeout = activity.info().heartbeat_timeout if activity.in_activity() else None
    if not timeout:
        yield
        return

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(timeout.total_seconds() / BEATS_PER_TIMEOUT)

    beater = asyncio.create_task(beat())
    try:
        yield
    finally:
        beater.cancel()
        activity.heartbeat()
