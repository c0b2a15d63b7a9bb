"""Figures 1, 2, 3 and 6: bare and same-shape workflows against relance runs, on the same server in
the same run.

Every rate is runs over the time from the first start to the moment the last one is seen done
(bare and same-shape: workflow completed; relance: first reminder sent, i.e. its audit row says
'sent'). All are read by polling every 0.1 s, so the error is the same on every side.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from temporalio.client import Client

from bench import data
from bench import same_shape as shape
from bench.measure import bounded, cpu_seconds, machine_busy_seconds, until
from bench.stack import BASELINE_QUEUE, BenchStack
from models import DunningRun, RunEvent
from relance.db import Database
from relance.local import ses as local_ses
from relance.nightly import SweepRequest
from workflows.dunning import DunningSweepWorkflow


def _timeout(n: int) -> float:
    """Generous: a stuck phase fails the bench instead of hanging it (at least 2 runs/s)."""
    return 120 + n / 2


def _cpu(stack: BenchStack) -> dict[str, float]:
    seconds = {name: cpu_seconds(proc) for name, proc in stack.processes().items()}
    relance_workers = sum(cpu for name, cpu in seconds.items() if name.startswith("worker"))
    return {"machine": machine_busy_seconds(), "wall": time.perf_counter(), **seconds, "workers": relance_workers}


def _cpu_ms_per_run(before: dict, after: dict, worker: str, n: int) -> dict:
    """CPU per run of each process, and of the whole machine (the bench's own client included)."""
    per_run = {name: (after[name] - before[name]) * 1000 / n
               for name in (worker, "server", "postgres", "ses", "machine")}
    return {"worker_cpu_ms_per_run": per_run[worker], "server_cpu_ms_per_run": per_run["server"],
            "postgres_cpu_ms_per_run": per_run["postgres"], "ses_cpu_ms_per_run": per_run["ses"],
            "machine_cpu_ms_per_run": per_run["machine"]}


def _busy_percent(before: dict, after: dict) -> float:
    """How busy the machine's cores were between two readings: 100 means every core saturated."""
    return 100 * (after["machine"] - before["machine"]) / ((after["wall"] - before["wall"]) * os.cpu_count())


async def baseline(stack: BenchStack, client: Client, n: int) -> dict:
    """N one-activity workflows, started as fast as a client with 32 calls in flight can."""
    prefix = f"bare-{uuid.uuid4().hex[:8]}-"
    done_query = f'WorkflowId STARTS_WITH "{prefix}" AND ExecutionStatus = "Completed"'
    before = _cpu(stack)
    started_at = time.perf_counter()
    await bounded(lambda i=i: client.start_workflow("BareWorkflow", id=f"{prefix}{i}", task_queue=BASELINE_QUEUE)
                  for i in range(n))
    all_started = time.perf_counter()
    done = await until(lambda: _count_workflows(client, done_query), n, _timeout(n), stack.check_alive)
    after = _cpu(stack)
    return {"workflows_per_s": n / (done - started_at), "starts_per_s": n / (all_started - started_at),
            "machine_busy_percent": _busy_percent(before, after),
            **_cpu_ms_per_run(before, after, "baseline_worker", n)}


async def same_shape(stack: BenchStack, client: Client, n: int) -> dict:
    """N same-shape workflows (bench/same_shape.py), started like the baseline's, each with what the
    sweep's start of a dunning run carries (search attributes, static summary, a DunningInput-sized input)."""
    org = f"same-{uuid.uuid4().hex[:8]}"
    prefix = f"dunning:{org}:"
    done_query = f'WorkflowId STARTS_WITH "{prefix}" AND ExecutionStatus = "Completed"'

    def start(i: int):
        number = f"B-{i:06d}"
        return client.start_workflow(
            "SameShapeWorkflow", {"org_slug": org, "invoice_number": number, "revision": 1},
            id=f"{prefix}{number}", task_queue=BASELINE_QUEUE, **shape.start_options(org, number))

    before = _cpu(stack)
    started_at = time.perf_counter()
    await bounded(lambda i=i: start(i) for i in range(n))
    all_started = time.perf_counter()
    done = await until(lambda: _count_workflows(client, done_query), n, _timeout(n), stack.check_alive)
    after = _cpu(stack)
    return {"workflows_per_s": n / (done - started_at), "starts_per_s": n / (all_started - started_at),
            "machine_busy_percent": _busy_percent(before, after),
            **_cpu_ms_per_run(before, after, "baseline_worker", n), "example": f"{prefix}B-000000"}


async def history_shape(client: Client, workflow_id: str) -> dict[str, int]:
    """Event types of one workflow's history and how many of each: shows the two shapes match."""
    counts: dict[str, int] = {}
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        kind = event.WhichOneof("attributes").removesuffix("_event_attributes")
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


async def relance(stack: BenchStack, client: Client, db: Database, n: int) -> dict:
    """N overdue invoices, one sweep; done when every run has sent its first reminder."""
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    await data.load(db, data.organisation(slug, n, "today-20", data.ONE_REMINDER),
                    datetime.now(ZoneInfo("Europe/Paris")).date())
    runs = f"dunning:{slug}:%"
    sent = select(func.count(RunEvent.id)).where(RunEvent.outcome == "sent", col(RunEvent.workflow_id).like(runs))
    ended = select(func.count()).where(col(DunningRun.workflow_id).like(runs), col(DunningRun.ended_at).is_not(None))
    accepted_before = ses_accepted(stack)
    before = _cpu(stack)
    started_at = time.perf_counter()
    sweep = await client.start_workflow(DunningSweepWorkflow.run, SweepRequest(slug), id=f"sweep:{slug}",
                                        task_queue=stack.settings.task_queue)
    all_sent = await until(lambda: _scalar(db, sent), n, _timeout(n), stack.check_alive)
    busy = _busy_percent(before, _cpu(stack))
    swept = await sweep.result()
    # The sweep's own end, from the server's record: when its activity had started the last run.
    described = await sweep.describe()
    sweep_seconds = (described.close_time - described.start_time).total_seconds()
    await until(lambda: _scalar(db, ended), n, _timeout(n), stack.check_alive)  # CPU counts the whole run
    after = _cpu(stack)
    if swept.started != n or ses_accepted(stack) - accepted_before != n:
        raise RuntimeError(f"expected {n} runs and emails, got {swept.started} runs, "
                           f"{ses_accepted(stack) - accepted_before} emails")
    return {"runs_per_s": n / (all_sent - started_at), "sweep_starts_per_s": n / sweep_seconds,
            "machine_busy_percent": busy, **_cpu_ms_per_run(before, after, "workers", n),
            "example": f"dunning:{slug}:B-000000"}


def ses_accepted(stack: BenchStack) -> int:
    """Emails the local SES endpoint accepted so far (its send quota counter)."""
    ses = local_ses.client(stack.settings.ses_endpoint, "ses", stack.settings.aws_region)
    return int(ses.get_send_quota()["SentLast24Hours"])


async def _count_workflows(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


async def _scalar(db: Database, statement) -> int:
    async with db.session() as session:
        return (await session.exec(statement)).one()
