"""A workflow whose task fails, run by a worker logging as `relance worker` does (relance.logging);
tests/test_logging.py reads what it printed."""

import asyncio
import os
import sys
import sysconfig
import uuid

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from relance.logging import configure


@workflow.defn
class FailingTask:
    @workflow.run
    async def run(self) -> None:
        workflow.logger.warning("a warning from the workflow", extra={"step": 1})
        raise ValueError("the real message")


async def main(log_format: str) -> None:
    configure(log_format)
    server = os.path.join(sysconfig.get_path("scripts"), "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=server)
    async with env, Worker(env.client, task_queue="logging", workflows=[FailingTask]):
        await env.client.start_workflow(FailingTask.run, id=str(uuid.uuid4()), task_queue="logging")
        await asyncio.sleep(2)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
    os._exit(0)
