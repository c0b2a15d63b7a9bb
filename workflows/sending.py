"""The options of an activity that sends an email, for every domain's workflow.

A send (database, compose, one SES call: ~0.1 s locally, well under a second with SES) heartbeats only
while SES throttles it: a dead worker is noticed after SEND_HEARTBEAT, not after a minute, and a long
throttling episode is a wait, not a timeout. The retry interval is capped low, so a send that failed
during an outage goes soon after it ends. Runs started before this change keep the options they had.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.versions import follows

SEND_HEARTBEAT = timedelta(seconds=10)
SEND_TIMEOUT = timedelta(minutes=10)
SEND_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
BEFORE = dict(start_to_close_timeout=timedelta(seconds=60),
              retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5)))


def send_options(revision: int, change: str = "settle-uncertain") -> dict:
    """The options of a send that settles uncertainty, for runs that follow `change` (the domain's)."""
    if follows(change, revision):
        return dict(start_to_close_timeout=SEND_TIMEOUT, heartbeat_timeout=SEND_HEARTBEAT, retry_policy=SEND_RETRY)
    return BEFORE


class _MaySettleLater(Protocol):
    resolve_after: float | None  # seconds until the send can be settled by SES's events, None: settled


Outcome = TypeVar("Outcome", bound=_MaySettleLater)


async def until_settled(send: Callable[[bool], Awaitable[Outcome]], label: str, settles: bool) -> Outcome:
    """`send(resolving)` once; while it answers that its email is uncertain (a worker died mid-send), wait
    the reconciliation window (a durable timer) and ask again, resolving: confirmed by SES's events,
    or sent again when SES never had it. Runs that do not follow the change take the first answer."""
    outcome = await send(False)
    while outcome.resolve_after is not None and settles:
        await workflow.sleep(timedelta(seconds=outcome.resolve_after),
                             summary=f"{label}: delivery uncertain, waiting for SES's events")
        outcome = await send(True)
    return outcome
