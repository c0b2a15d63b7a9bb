"""Sending no faster than SES allows, and waiting quietly when it says so anyway.

The pace is the account's maximum send rate: RELANCE_SES_RATE when set, else SES's own figure
(GetSendQuota MaxSendRate) on real SES; the local endpoint is not paced. One Pacer per worker process,
shared by all its sending activities. With several workers each paces at that rate, so the rate
limit that holds for all of them together is the email task queue's (worker.py,
max_task_queue_activities_per_second = RELANCE_SES_RATE, enforced by the Temporal server); set it when
running more than one worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger("relance.email")


class Pacer:
    """A token bucket with a burst of one: each send takes the next free slot of 1/rate seconds."""

    def __init__(self, rate: Callable[[], float | None]):
        self._rate_source = rate
        self._rate: float | None = None
        self._known = False
        self._next_at = 0.0

    async def wait(self) -> None:
        if not self._known:
            self._rate, self._known = await asyncio.to_thread(self._rate_source), True
        if not self._rate:
            return
        now = time.monotonic()
        at = max(now, self._next_at)
        self._next_at = at + 1 / self._rate
        if at > now:
            await asyncio.sleep(at - now)


class Episode:
    """Something that lasts (SES throttling, a daily quota exhausted): one line when it starts and one
    when it ends, whatever the number of sends that meet it meanwhile."""

    def __init__(self, what: str):
        self.what = what
        self.since: float | None = None

    def begin(self, **fields) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.info(f"{self.what}: waiting", **fields)

    def end(self) -> None:
        if self.since is not None:
            log.info(f"{self.what}: over", waited_s=round(time.monotonic() - self.since, 1))
            self.since = None
