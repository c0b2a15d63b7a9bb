"""The relance worker: every workflow and activity on one task queue.

Run it with `relance worker` (or `python worker.py`); settings come from the environment.
"""

from __future__ import annotations

import asyncio
import signal

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.dunning import DunningActivities
from activities.renewal import RenewalActivities
from activities.simulation import SimulationActivities
from activities.sweep import SweepActivities
from relance.config import Settings
from relance.db import Database
from relance.logging import LogContextInterceptor, configure
from relance.mailer import SesMailer
from relance.temporal_client import connect
from workflows.dunning import InvoiceDunningWorkflow
from workflows.renewal import RenewalNoticeWorkflow
from workflows.simulation import ScenarioSimulationWorkflow
from workflows.sweep import DunningSweepWorkflow, RenewalInspectionWorkflow

WORKFLOWS = [InvoiceDunningWorkflow, DunningSweepWorkflow, RenewalNoticeWorkflow, RenewalInspectionWorkflow,
             ScenarioSimulationWorkflow]


# Sized for throughput on a small host (TEMPORAL.md, pitfall 14): enough task slots and pollers that
# the worker, not poll round trips, sets the pace, and a cache large enough that waking runs are not
# replayed. bench/baseline_worker.py uses the same values so the benchmark compares like with like.
TUNING = dict(
    max_concurrent_workflow_tasks=500,
    max_concurrent_activities=1000,
    max_cached_workflows=5000,
    max_concurrent_workflow_task_polls=20,
    max_concurrent_activity_task_polls=20,
)


def activities(db: Database, mailer: SesMailer) -> list:
    dunning = DunningActivities(db, mailer)
    renewal = RenewalActivities(db, mailer)
    sweep = SweepActivities(db)
    simulation = SimulationActivities(db, mailer)
    return [dunning.begin_run, dunning.check_invoice, dunning.execute_step, dunning.finish_run,
            renewal.begin_notice, renewal.send_notice, renewal.finish_notice,
            sweep.start_overdue_runs, sweep.start_due_renewal_notices,
            simulation.load_simulation, simulation.simulate_step]


def build_worker(client: Client, task_queue: str, db: Database, mailer: SesMailer,
                 activity_list: list | None = None) -> Worker:
    """`activity_list` replaces the real activities, for failure-injection tests only."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activity_list if activity_list is not None else activities(db, mailer),
        interceptors=[LogContextInterceptor()],
        **TUNING,
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then let running activities finish (graceful shutdown)."""
    configure(settings.log_format, settings.log_level)
    client = await connect(settings)
    db = Database(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with build_worker(client, settings.task_queue, db, SesMailer(settings)):
            structlog.get_logger("relance.worker").info(
                "worker started", task_queue=settings.task_queue, temporal=settings.temporal_address)
            await stop.wait()
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(run_worker(Settings()))
