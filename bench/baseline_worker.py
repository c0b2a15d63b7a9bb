"""The baseline's worker: one no-op activity per workflow, nothing else, on its own task queue.

It runs in its own process with relance's worker tuning (worker.TUNING), so the only difference
from the relance worker is the work relance adds: database reads, rendering, the send, the audit rows.
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
    async with Worker(client, task_queue=task_queue, workflows=[BareWorkflow], activities=[noop], **TUNING):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
