"""The baselines' worker, on their own task queue: BareWorkflow (one no-op activity, nothing else) and
SameShapeWorkflow (bench/same_shape.py: a dunning run's shape, no-op activities, its step activity on
the `<queue>-email` queue like relance's).

It runs in its own process with relance's worker tuning (worker.TUNING), and two workers like
relance's, so the only difference from the relance worker is the work relance adds: database reads,
rendering, the send, the audit rows, its converter, its logging. The phases alternate, so the
process's CPU during a phase is that phase's.
Run as `python -m bench.baseline_worker ADDRESS TASK_QUEUE`.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from bench import same_shape
    from relance.temporal.queues import email_queue
    from worker import TUNING


@activity.defn
async def noop() -> None:
    """Nothing: what is left is Temporal's cost of scheduling, dispatching and completing an activity."""


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=60))


async def main(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with (
        Worker(client, task_queue=task_queue, workflows=[BareWorkflow, same_shape.SameShapeWorkflow],
               activities=[noop, same_shape.begin, same_shape.finish], **TUNING),
        Worker(client, task_queue=email_queue(task_queue), activities=[same_shape.step],
               max_concurrent_activities=TUNING["max_concurrent_activities"],
               activity_task_poller_behavior=TUNING["activity_task_poller_behavior"]),
    ):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
