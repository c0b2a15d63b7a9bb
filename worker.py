"""The relance worker: every domain's workflows and activities, wired by the domain itself.

Run it with `relance worker` (or `python worker.py`); settings come from the environment.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import ClassVar

import structlog
from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from relance.config import WORKER_QUEUES, Settings
from relance.db import Database
from relance.email.mailer import SES_THREADS, SesMailer
from relance.logging import configure
from relance.temporal.client import connect_patiently, metrics_runtime
from relance.temporal.log_context import LogContextInterceptor
from relance.temporal.queues import email_queue, webhook_queue
from relance.temporal.registration import Registration, WorkerDeps
from relance.webhooks.publishing import Publisher
from workflows import (
    agency,
    dunning,
    dunning_customer,
    email_events,
    marketing,
    pipeline,
    renewal,
    simulation,
    webhooks,
)

# Each domain wires its own workflows and activities (workflows/<domain>.py `registration`).
DOMAINS = (dunning, dunning_customer, renewal, simulation, webhooks, email_events, marketing, pipeline, agency)
WORKFLOWS = [workflow for domain in DOMAINS for workflow in domain.WORKFLOWS]


# Sized for throughput on a small host (TEMPORAL.md, pitfall 14): enough task slots and pollers that
# the worker, not poll round trips, sets the pace. The pollers scale with the server's feedback, up to
# 20 each: 20 fixed pollers made every idle or short-lived worker keep 20 long polls open (the suite
# starts hundreds: 12 % of the CPU of its worker tests), and measured the same hour at N=1,000 the
# autoscaled worker ran 13.9 runs/s at 54 ms of CPU a run against 12.7 at 59. Not more workflow task
# slots than the process can turn around within the server's 10 s workflow task timeout: with 500 (2
# cores, a burst of 800 runs) a third of the runs had a workflow task time out, i.e. done twice and
# replayed (bench/). The workflow cache is what bounds memory
# (RELANCE_WORKFLOW_CACHE; bench, 10,000 sleeping runs: cache 5,000 → 1,008 MB, 1,000 → 334 MB, 400 → 238 MB).
# bench/baseline_worker.py uses the same values so the benchmark compares like with like.
TUNING = dict(
    max_concurrent_workflow_tasks=50,
    max_concurrent_activities=1000,
    max_cached_workflows=Settings().workflow_cache,
    workflow_task_poller_behavior=PollerBehaviorAutoscaling(maximum=20),
    activity_task_poller_behavior=PollerBehaviorAutoscaling(maximum=20),
)

# The workflow sandbox, two ways. STRICT (the SDK's default) imports a workflow's module afresh for
# every run, and for every replay after a cache eviction, so that a datetime.now() or random() in
# workflow code fails: the tests run it, and replay every recorded history with it. PASSED_THROUGH,
# which `relance worker` runs, takes relance's own packages from the worker's imports instead: a
# run's sandbox then costs 3–20 ms to set up instead of ~65 (loaded 2 cores; re-running workflows/*.py and its
# @workflow.defn for each run was half of the worker's workflow-side CPU; bench/, README). Same
# workflow code, same histories, same calls restricted in the modules the sandbox still loads.
STRICT = SandboxRestrictions.default
PASSED_THROUGH = STRICT.with_passthrough_modules("workflows", "activities", "relance", "models")


class Sandbox(SandboxedWorkflowRunner):
    """The SDK's sandbox, checking each workflow class once per process and restrictions: a worker's start
    checks every class in a sandbox of its own (~60 ms each, strict), and the tests start hundreds."""

    _checked: ClassVar[set[tuple[type, int]]] = set()

    def prepare_workflow(self, defn) -> None:
        key = (defn.cls, id(self.restrictions))
        if key not in self._checked:
            super().prepare_workflow(defn)
            self._checked.add(key)


# On SIGTERM the email worker stops taking steps and lets those under way finish (a send takes well
# under a second) before it cancels what is left: a deploy leaves no send uncertain. Below the 15 s
# `relance up` and process managers give a process before SIGKILL.
SEND_GRACE = timedelta(seconds=10)
# Steps a worker runs at once. A step taken is a step started, and its heartbeat timeout runs: with a
# thousand taken on two cores, steps waited longer than that timeout for the event loop and were
# retried while still running (make chaos). Steps beyond this wait on the server, where no timeout runs.
# Each has a boto3 thread of its own (relance.email.mailer).
SEND_SLOTS = SES_THREADS


# Webhook deliveries wait on other people's servers: their own slots, so a slow endpoint never holds
# the ones reminders need.
WEBHOOK_TUNING = dict(max_concurrent_workflow_tasks=20, max_concurrent_activities=100)


def registrations(deps: WorkerDeps) -> Registration:
    """Every domain's registrations, merged."""
    merged = Registration()
    for domain in DOMAINS:
        part = domain.registration(deps)
        for name, registered in vars(part).items():
            getattr(merged, name).extend(registered)
    return merged


class RelanceWorker:
    """Three workers: the workflows and database activities on `task_queue`; the activities that send
    email on their own queue, which the server rate-limits to the SES quota (all workers together);
    webhook deliveries on theirs."""

    def __init__(self, workers: list[Worker]):
        self.workers = workers

    async def __aenter__(self) -> RelanceWorker:
        for worker in self.workers:
            await worker.__aenter__()
        return self

    async def __aexit__(self, *exc) -> None:
        for worker in reversed(self.workers):
            await worker.__aexit__(*exc)


def build_worker(client: Client, task_queue: str, db: Database, mailer: SesMailer,
                 overrides: dict | None = None, ses_rate: float | None = None,
                 sandbox: SandboxRestrictions = STRICT, queues: tuple[str, ...] = WORKER_QUEUES) -> RelanceWorker:
    """`queues` (WORKER_QUEUES) are the ones this process polls; `overrides` replaces activities by name,
    for failure-injection tests only."""
    overrides = overrides or {}
    registered = registrations(WorkerDeps(db, mailer, Publisher(db, client, webhook_queue(task_queue))))
    common, emailing, posting = ([overrides.get(fn.__name__, fn) for fn in group] for group in (
        registered.activities, registered.email_activities, registered.webhook_activities))
    interceptors = [LogContextInterceptor()]
    runner = Sandbox(restrictions=sandbox)
    workers = {
        "workflows": lambda: Worker(client, task_queue=task_queue, workflows=registered.workflows, activities=common,
                                    interceptors=interceptors, workflow_runner=runner, **TUNING),
        "email": lambda: Worker(client, task_queue=email_queue(task_queue), activities=emailing,
                                interceptors=interceptors, graceful_shutdown_timeout=SEND_GRACE,
                                max_concurrent_activities=SEND_SLOTS,
                                activity_task_poller_behavior=TUNING["activity_task_poller_behavior"],
                                max_task_queue_activities_per_second=ses_rate),
        "webhooks": lambda: Worker(client, task_queue=webhook_queue(task_queue),
                                   workflows=registered.webhook_workflows, activities=posting,
                                   interceptors=interceptors, workflow_runner=runner, **WEBHOOK_TUNING),
    }
    return RelanceWorker([workers[name]() for name in WORKER_QUEUES if name in queues])


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then let running activities finish (graceful shutdown)."""
    configure(settings.log_format, settings.log_level)
    runtime = metrics_runtime(settings.metrics_address) if settings.metrics_address else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log = structlog.get_logger("relance.worker")
    connecting = asyncio.create_task(connect_patiently(settings, runtime, log))
    await asyncio.wait([connecting, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    if not connecting.done():  # stopped while Temporal was still unreachable
        connecting.cancel()
        return
    client = connecting.result()
    db = Database(settings.database_url, ping_on_checkout=False)
    try:
        async with build_worker(client, settings.task_queue, db, SesMailer(settings), ses_rate=settings.ses_rate,
                                sandbox=PASSED_THROUGH, queues=settings.worker_queues):
            log.info("worker started", task_queue=settings.task_queue, queues=",".join(settings.worker_queues),
                     temporal=settings.temporal_address)
            await stop.wait()
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(run_worker(Settings()))
