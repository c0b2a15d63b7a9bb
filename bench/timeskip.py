"""Figure 4: wall time of the demo's whole 90-day default scenario on the time-skipping test server,
with the real activities, database and local SES (as tests/test_dunning_steps.py runs it)."""

from __future__ import annotations

import os
import sysconfig
import time
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from bench import data
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.temporal.admin import ensure_search_attributes
from relance.temporal.client import DATA_CONVERTER
from starter.dunning import invoice_created
from starter.importing import import_data
from worker import build_worker

TEST_SERVER = os.path.join(sysconfig.get_path("scripts"), "temporal-test-server")
PARIS = ZoneInfo("Europe/Paris")


async def ninety_days(db: Database, mailer: SesMailer, runs: int) -> list[float]:
    """Seconds per whole scenario (3 emails, 1 task), each on a fresh organisation and a fresh test
    server (started outside the timing): the server's clock jumps years ahead after every result(),
    and dates past 2200 are refused at import (relance/limits.py)."""
    return [await _one_scenario(db, mailer) for _ in range(runs)]


async def _one_scenario(db: Database, mailer: SesMailer) -> float:
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEST_SERVER, data_converter=DATA_CONVERTER
    ) as env:
        await ensure_search_attributes(env.client, env.client.namespace)
        task_queue = f"bench-timeskip-{uuid.uuid4().hex[:8]}"
        async with build_worker(env.client, task_queue, db, mailer):
            slug = f"ts-{uuid.uuid4().hex[:8]}"
            due = (await env.get_current_time()).astimezone(PARIS).date() + timedelta(days=5)
            organisation = data.organisation(slug, 1, due.isoformat(), data.DEFAULT_SCENARIO,
                                             apply_to_new=True, window=("09:00", "18:00"))
            await import_data(db, {"organisations": [organisation]}, "bench", due - timedelta(days=5))
            started = time.perf_counter()
            handle = await invoice_created(env.client, db, task_queue, slug, "B-000000")
            result = await handle.result()
            seconds = time.perf_counter() - started
            if (result.emails_sent, result.steps_done) != (3, 4):
                raise RuntimeError(f"90-day scenario: {result}")
    return seconds
