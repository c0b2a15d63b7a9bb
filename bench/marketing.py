"""Marketing figures on the local stack (the worker in its own process, as in production):

1. a campaign of N recipients: sends per second against the SES rate set (RELANCE_SES_RATE, the email
   queue's server-side limit), the worker's CPU per send, and its history (runs of the continue-as-new
   chain, the largest run's events and size: the server's limits are 50Ki events and 50 MB per run);
2. memory with M enrolments asleep (their second step three days away): worker and server RSS.

    .venv/bin/python -m bench.marketing [--recipients 10000] [--rate 100] [--enrolments 10000]
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

from bench import data
from bench.measure import bounded, chain_histories, cpu_seconds, rss_mb, until
from bench.stack import BenchStack
from relance.db import Database
from relance.email.mailer import SesMailer
from starter import marketing

SENDER = "claire.martin@example.com"


def organisation(slug: str, contacts: int) -> dict:
    return {
        "slug": slug, "name": f"Bench {slug}", "holiday_country": "none",
        "dunning": {"send_window": ["00:00", "23:59:59"], "send_days": "mon-sun", "sender": SENDER},
        "users": [{"email": SENDER, "first_name": "Claire", "last_name": "Martin"}],
        "templates": [{"key": "promo", "name": "Promo", "subject": "Offre pour [[!AccountName]]",
                       "body": "Bonjour [[!FirstName]], notre offre du mois."}],
        "marketing_scenarios": [{"key": "welcome", "name": "Bienvenue", "steps": [
            {"kind": "email", "label": "Bienvenue", "template": "promo"},
            {"kind": "pause", "label": "Pause", "days": 3},
            {"kind": "email", "label": "Relance", "template": "promo"}]}],
        "accounts": [{"ref": f"A{a}", "name": f"Client {a}", "contacts": [
            {"ref": f"K{a}-{c}", "first_name": f"N{c}", "email": f"k{a}-{c}@example.org", "tags": ["promo"]}
            for c in range(contacts // 10)]} for a in range(10)],
    }


async def campaign(stack: BenchStack, client: Client, db: Database, recipients: int) -> dict:
    slug = f"cmp-{uuid.uuid4().hex[:6]}"
    await data.load(db, organisation(slug, recipients), datetime.now(UTC).date())
    await marketing.create_campaign(db, slug, "promo", "Promo", "promo", "bench", tag="promo")
    worker = stack.processes()["worker"]
    cpu_before, started = cpu_seconds(worker), time.perf_counter()
    handle = await marketing.launch_campaign(client, db, stack.settings.task_queue, slug, "promo", "bench")
    result = await handle.result()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(worker) - cpu_before
    runs = await chain_histories(client, handle)
    return {"recipients": result.total, "sent": result.sent, "failed": result.failed, "seconds": round(elapsed, 1),
            "sends_per_second": round(result.sent / elapsed, 1), "worker_cpu_ms_per_send": round(
                1000 * cpu / max(result.sent, 1), 2),
            "runs": len(runs), "max_events_per_run": max(n for n, _ in runs),
            "max_mb_per_run": round(max(b for _, b in runs) / 1e6, 2), "events": sum(n for n, _ in runs)}


async def sleeping_enrolments(stack: BenchStack, client: Client, db: Database, enrolments: int) -> dict:
    slug = f"enr-{uuid.uuid4().hex[:6]}"
    await data.load(db, organisation(slug, enrolments), datetime.now(UTC).date())
    refs = [f"K{a}-{c}" for a in range(10) for c in range(enrolments // 10)]
    await bounded(lambda ref=ref: marketing.enrol(client, db, stack.settings.task_queue, slug, "welcome", ref,
                                                  "bench") for ref in refs)
    waiting = f'RelanceOrganisation = "{slug}" AND RelanceState = "waiting" AND RelanceStep = "3. Relance"'
    await until(lambda: _count(client, waiting), len(refs), 300 + len(refs) / 2, stack.check_alive)
    procs = stack.processes()
    return {"enrolments": len(refs), "worker_rss_mb": round(rss_mb(procs["worker"])),
            "server_rss_mb": round(rss_mb(procs["server"]))}


async def _count(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["RELANCE_SES_RATE"] = str(args.rate)  # read by the worker process
        stack = BenchStack(Path(home))
        try:
            client = await stack.start()
            await SesMailer(stack.settings).verify(SENDER)
            db = Database(stack.settings.database_url)
            print(f"campaign at RELANCE_SES_RATE={args.rate}/s:", await campaign(stack, client, db, args.recipients))
            print("enrolments asleep:", await sleeping_enrolments(stack, client, db, args.enrolments))
            await db.close()
        finally:
            stack.stop()


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m bench.marketing", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipients", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=100.0, help="RELANCE_SES_RATE for the run (emails per second)")
    p.add_argument("--enrolments", type=int, default=10_000)
    asyncio.run(main(p.parse_args()))
    os._exit(0)  # sdk-python#300
