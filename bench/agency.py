"""Agency figures on the local stack (the worker in its own process, as in production): a send-all of N
drafts of one tab, sends per second against the SES rate set (RELANCE_SES_RATE, the email queue's
server-side limit) and the worker's CPU per draft; and the nightly drafting of those N drafts.

    .venv/bin/python -m bench.agency [--drafts 1000] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client

from bench.measure import cpu_seconds
from bench.stack import BenchStack
from relance.db import Database
from relance.email.mailer import SesMailer
from starter import agency
from starter.importing import import_data

SENDER = "resa@bench.example"


def organisation(slug: str, drafts: int) -> dict:
    """N confirmed bookings arriving in 5 days: N arrival drafts today (7 days before)."""
    return {"slug": slug, "name": f"Bench {slug}", "agencies": [{
        "slug": "mer", "name": "Agence", "sender_email": SENDER, "send_window": ["00:00", "23:59:59"],
        "properties": [{"ref": "P1", "name": "Villa"}],
        "kinds": {"arrival": {"delay_days": 7, "templates": {"fr": {
            "subject": "Votre arrivée le [[!ARRIVAL]]",
            "body": "Bonjour [[!GUESTNAME]], à bientôt à [[!PROPERTY]]."}}}},
        "bookings": [{"reference": f"B{n:06}", "property": "P1", "guest_name": f"Guest {n}",
                      "guest_email": f"g{n}@guest.example", "arrival": "today+5", "departure": "today+12"}
                     for n in range(drafts)]}]}


async def send_all(stack: BenchStack, client: Client, db: Database, drafts: int) -> dict:
    slug = f"agc-{uuid.uuid4().hex[:6]}"
    await import_data(db, {"organisations": [organisation(slug, drafts)]}, "bench", datetime.now(UTC).date())
    worker = stack.processes()["worker"]
    cpu_before, started = cpu_seconds(worker), time.perf_counter()
    drafted = await agency.draft_day(client, stack.settings.task_queue, slug, "mer")
    drafting = {"drafted": drafted.drafted, "seconds": round(time.perf_counter() - started, 1),
                "worker_cpu_ms_per_draft": round(1000 * (cpu_seconds(worker) - cpu_before) / max(drafted.drafted, 1),
                                                 2)}
    ids = [line.draft.id for line in await agency.tab_drafts(db, slug, "mer", "arrival")]
    cpu_before, started = cpu_seconds(worker), time.perf_counter()
    batch = await agency.send_tab(client, db, stack.settings.task_queue, slug, "mer", "arrival", ids, "bench")
    progress = await batch.handle.result()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(worker) - cpu_before
    sending = {"drafts": progress.total, "sent": progress.sent, "failed": progress.failed,
               "seconds": round(elapsed, 1), "sends_per_second": round(progress.sent / elapsed, 1),
               "worker_cpu_seconds": round(cpu, 1), "worker_cpu_ms_per_send": round(1000 * cpu / max(progress.sent, 1),
                                                                                    2)}
    return {"drafting": drafting, "send_all": sending}


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["RELANCE_SES_RATE"] = str(args.rate)  # read by the worker process
        stack = BenchStack(Path(home))
        try:
            client = await stack.start()
            await SesMailer(stack.settings).verify(SENDER)
            db = Database(stack.settings.database_url)
            print(f"agency at RELANCE_SES_RATE={args.rate}/s:", await send_all(stack, client, db, args.drafts))
            await db.close()
        finally:
            stack.stop()


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m bench.agency", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--drafts", type=int, default=1000)
    p.add_argument("--rate", type=float, default=100.0, help="RELANCE_SES_RATE for the run (emails per second)")
    asyncio.run(main(p.parse_args()))
    os._exit(0)  # sdk-python#300
