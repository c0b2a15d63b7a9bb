"""What a one-reminder dunning run's activities cost the worker's CPU, apart from Temporal: begin_run,
execute_step (the re-check, the email's composition, the send-once ledger, SES, the webhook event) and
finish_run, each called in Temporal's ActivityEnvironment against a throw-away embedded PostgreSQL and
the local SES endpoint, one run after the other. CPU of this process (every thread: boto3 sends on its
own), per call, median of 5 batches; the bench's `worker_cpu_ms_per_run` is these plus the SDK's share
(the workflow's activations, the activity tasks) and the sweep that starts the runs.

    .venv/bin/python -m bench.activity_cpu [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.dunning import DunningActivities
from bench import data
from bench.stack import free_port
from relance.config import Settings
from relance.db import Database
from relance.dunning.types import BeginRunInput, ExitReason, FinishRunInput, StepInput
from relance.email.mailer import SesMailer
from relance.local.postgres import LocalPostgres
from relance.local.ses import LocalSes
from relance.logging import configure
from relance.migrate import upgrade_async
from relance.webhooks.publishing import Publisher

BATCHES = 5
SLUG = "cpu"


async def one_run(acts: DunningActivities, env: ActivityEnvironment, number: str, spent: dict[str, float]) -> None:
    """A run's three activities, each timed on the process's CPU clock."""
    workflow_id, now = f"dunning:{SLUG}:{number}", datetime.now(UTC)
    began = time.process_time()
    plan = await env.run(acts.begin_run, BeginRunInput(workflow_id, SLUG, number, now))
    stepped = time.process_time()
    outcome = await env.run(acts.execute_step, StepInput(workflow_id, SLUG, number, plan.scenario_id,
                                                         plan.steps[0].position, now))
    finished = time.process_time()
    await env.run(acts.finish_run, FinishRunInput(workflow_id, ExitReason.COMPLETED, None, now))
    ended = time.process_time()
    if outcome.message_id is None:
        raise RuntimeError(f"{number}: no email sent ({outcome})")
    for name, seconds in (("begin_run", stepped - began), ("execute_step", finished - stepped),
                          ("finish_run", ended - finished)):
        spent[name] = spent.get(name, 0.0) + seconds


def _log_nowhere() -> None:
    """The worker's log lines, formatted as it formats them (their CPU counts), written to /dev/null so
    the figures are what this prints."""
    configure(Settings().log_format)
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)


async def main(runs: int) -> None:
    _log_nowhere()
    with tempfile.TemporaryDirectory() as home:
        pg = LocalPostgres(Path(home) / "data", port=free_port())
        ses = LocalSes(port=free_port(), log_file=Path(home) / "ses.log")
        pg.start()
        ses.start()
        try:
            pg.create_database("bench")
            settings = Settings(database_url=pg.url("bench"), ses_endpoint=ses.endpoint)
            await upgrade_async(settings.database_url)
            db = Database(settings.database_url, ping_on_checkout=False)
            mailer = SesMailer(settings)
            await mailer.verify(data.SENDER)
            warm_up = min(50, runs)  # connections, statement caches, compiled templates
            await data.load(db, data.organisation(SLUG, warm_up + BATCHES * runs, "today-20", data.ONE_REMINDER),
                            datetime.now(UTC).date())
            acts = DunningActivities(db, mailer, Publisher(db, client=None, task_queue="unused: no endpoint"))
            env = ActivityEnvironment()
            numbers = iter(f"B-{i:06d}" for i in range(warm_up + BATCHES * runs))
            for _ in range(warm_up):
                await one_run(acts, env, next(numbers), {})
            batches = []
            for _ in range(BATCHES):
                spent: dict[str, float] = {}
                for _ in range(runs):
                    await one_run(acts, env, next(numbers), spent)
                batches.append({name: seconds * 1000 / runs for name, seconds in spent.items()})
            print(f"load average {os.getloadavg()[0]:.2f}; CPU per call (this process, every thread), "
                  f"median of {BATCHES} batches of {runs} runs")
            for name in ("begin_run", "execute_step", "finish_run"):
                print(f"  {name:14} {statistics.median(b[name] for b in batches):6.2f} ms")
            print(f"  {'a run':14} {statistics.median(sum(b.values()) for b in batches):6.2f} ms")
            await db.close()
        finally:
            ses.stop()
            pg.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.activity_cpu", description=__doc__)
    parser.add_argument("--runs", type=int, default=200, help="runs per batch (5 batches)")
    asyncio.run(main(parser.parse_args().runs))
