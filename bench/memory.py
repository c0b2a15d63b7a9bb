"""Figure 5: resident memory of the worker and of the dev server with many runs asleep between steps.

The runs are started the way the host application starts a new invoice's run; their only step is
70 days away, so after begin_run each one waits on a durable timer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from temporalio.client import Client

from bench import data
from bench.measure import bounded, rss_mb, until
from bench.stack import BenchStack
from relance.db import Database
from starter.dunning import start_dunning_run


async def sleeping_runs(stack: BenchStack, client: Client, db: Database, runs: int, samples: int) -> dict:
    slug = f"mem-{uuid.uuid4().hex[:8]}"
    organisation = data.organisation(slug, runs, "today+60", data.ONE_REMINDER, apply_to_new=True)
    await data.load(db, organisation, datetime.now(ZoneInfo("Europe/Paris")).date())
    task_queue = stack.settings.task_queue
    await bounded(lambda i=i: start_dunning_run(client, task_queue, slug, f"B-{i:06d}", f"C{i % 10}")
                  for i in range(runs))
    waiting = f'RelanceOrganisation = "{slug}" AND RelanceState = "waiting"'
    await until(lambda: _count(client, waiting), runs, 120 + runs / 2, stack.check_alive)
    procs = stack.processes()
    result: dict[str, list[float]] = {"worker_rss_mb": [], "server_rss_mb": []}
    for _ in range(samples):
        await asyncio.sleep(1)
        result["worker_rss_mb"].append(rss_mb(procs["worker"]))
        result["server_rss_mb"].append(rss_mb(procs["server"]))
    return result


async def _count(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count
