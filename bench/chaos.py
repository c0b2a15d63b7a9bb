"""The fault suite (`make chaos`): the local stack on free ports with two relance worker processes on the
same queues, N overdue invoices, one sweep, and while the runs go: one worker at a time SIGKILLed at random
moments (the other keeps working), Temporal and PostgreSQL restarted once each, SES
throttling on a share of sends (bench/ses_proxy.py in front of the local endpoint). Then, from SES's own
record (every message it accepted, with the send tag relance gave it): emails per invoice, duplicates,
never reminded, and how every send left uncertain was settled. Prints the figures, writes JSON beside
them (bench/results/).

    python -m bench.chaos [--n 1000] [--workers 2] [--kills 5] [--stops 0] [--throttle 0.3] [--no-restarts] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from email import message_from_string
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, text
from sqlmodel import col, select

from bench import data
from bench.ses_proxy import ThrottlingProxy
from bench.stack import free_port
from models import DunningRun, EmailLedgerEntry
from relance.config import PROJECT_ROOT, Settings
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.local import process
from relance.local import ses as local_ses
from relance.local.ses_server import message_tags
from relance.local.stack import LocalStack
from relance.migrate import upgrade_async
from relance.nightly import SweepRequest
from relance.temporal.admin import ensure_search_attributes
from relance.temporal.client import connect
from starter.email_events import ensure_ses_events_drain
from workflows.dunning import DunningSweepWorkflow

RESULTS = PROJECT_ROOT / "bench" / "results"
# Short, so the suite ends in minutes: production keeps 15 min (RELANCE_SES_RECONCILE_AFTER).
RECONCILE_AFTER_SECONDS = 20
EVENTS_EVERY_SECONDS = 5


def say(line: str) -> None:
    print(line, flush=True)


class Chaos:
    def __init__(self, home: Path, n: int, kills: int, throttle: float, restarts: bool, seed: int, stops: int = 0,
                 workers: int = 2):
        self.n, self.kills, self.restarts, self.stops = n, kills, restarts, stops
        self.workers: list = [None] * workers  # relance worker processes, each restarted in place when it dies
        self.random = random.Random(seed)
        ses_port = free_port()
        os.environ.update({
            "RELANCE_HOME": str(home),
            "RELANCE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/relance",
            "RELANCE_SES_ENDPOINT": f"http://127.0.0.1:{ses_port}",
            "RELANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "RELANCE_TEMPORAL_UI_PORT": str(free_port()),
            "RELANCE_TASK_QUEUE": "relance-chaos",
            "RELANCE_LOG_FORMAT": "json",
            "RELANCE_SES_RECONCILE_AFTER": str(RECONCILE_AFTER_SECONDS),
            "RELANCE_SES_EVENTS_EVERY": str(EVENTS_EVERY_SECONDS),
        })
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        self.settings = Settings()
        self.local = LocalStack(self.settings)
        self.proxy = ThrottlingProxy(self.settings.ses_endpoint, throttle, free_port())
        self.faults: list[dict] = []
        # Faults spread over the time the runs take to send (about 10 runs a second here), not bunched
        # at the start while the sweep is still starting them.
        self.spacing = max(4.0, n / 50)

    async def start(self):
        self.local.start_services()
        await self.local.temporal.wait_ready()
        await upgrade_async(self.settings.database_url)
        await self.proxy.start()
        # The worker reaches SES (and its events queue) through the fault-injecting proxy.
        os.environ["RELANCE_SES_ENDPOINT"] = self.proxy.endpoint
        self.client = await connect(self.settings)
        await ensure_search_attributes(self.client, self.settings.temporal_namespace)
        self.local.start_worker()
        self.workers[0] = self.local._worker
        for i in range(1, len(self.workers)):
            self.workers[i] = self.local.spawn_worker(f"worker-{i + 1}.log")
        await ensure_ses_events_drain(self.client, self.settings.task_queue, EVENTS_EVERY_SECONDS)
        self.db = Database(self.settings.database_url)

    async def load(self) -> str:
        slug = "chaos"
        await SesMailer(self.settings).verify(data.SENDER)
        await data.load(self.db, data.organisation(slug, self.n, "today-20", data.ONE_REMINDER),
                        datetime.now(ZoneInfo("Europe/Paris")).date(), "chaos")
        return slug

    async def run(self) -> dict:
        await self.start()
        try:
            slug = await self.load()
            started_at = time.perf_counter()
            await self.client.start_workflow(DunningSweepWorkflow.run, SweepRequest(slug), id=f"sweep:{slug}",
                                             task_queue=self.settings.task_queue)
            await self.inject_faults(started_at)
            drained = await self.wait_drained(started_at)
            return await self.figures(slug, drained)
        finally:
            await self.proxy.stop()
            await self.db.close()
            for worker in self.workers[1:]:
                process.stop(worker)
            self.local._worker = self.workers[0]  # the one LocalStack.stop stops, perhaps restarted since
            self.local.stop()

    async def inject_faults(self, started_at: float) -> None:
        """Kills spread over the first sends, a Temporal restart and a PostgreSQL restart between them."""
        plan = ["kill"] * self.kills + ["sigterm"] * self.stops + (["temporal", "postgres"] if self.restarts else [])
        self.random.shuffle(plan)
        for kind in plan:
            await asyncio.sleep(self.random.uniform(1.0, self.spacing))
            at = round(time.perf_counter() - started_at, 1)
            if kind in ("kill", "sigterm"):
                victim = self.random.randrange(len(self.workers))
                kind = f"{kind} worker {victim + 1}" if len(self.workers) > 1 else kind
                if kind.startswith("kill"):
                    os.killpg(self.workers[victim].pid, signal.SIGKILL)
                    self.workers[victim].wait()
                else:  # a deploy: the worker is asked to stop, as `relance up` and systemd do
                    # In a thread: the throttling proxy shares this loop, and the stopping worker's sends go through it.
                    await asyncio.to_thread(process.stop, self.workers[victim])
                self.workers[victim] = self.local.spawn_worker(f"worker-{victim + 1}.log")
            elif kind == "temporal":
                await asyncio.to_thread(self.local.temporal.stop)
                self.local.temporal.start()
                await self.local.temporal.wait_ready()
            else:
                await asyncio.to_thread(self.local.postgres.stop)
                await asyncio.to_thread(self.local.postgres.start)
            self.faults.append({"fault": kind, "at_s": at})
            say(f"  {at:6.1f} s  {kind}")

    async def wait_drained(self, started_at: float) -> float:
        """Every run ended (or the deadline): the time it took from the sweep's start."""
        deadline = time.perf_counter() + max(600, self.n * 1.5)
        ended = select(func.count()).where(col(DunningRun.ended_at).is_not(None))
        while time.perf_counter() < deadline:
            for i, worker in enumerate(self.workers):
                if not process.running(worker):  # it may exit while PostgreSQL or Temporal was away
                    self.workers[i] = self.local.spawn_worker(f"worker-{i + 1}.log")
            try:
                async with self.db.session() as session:
                    done = (await session.exec(ended)).one()
            except Exception:  # PostgreSQL restarting under the driver too
                done = -1
            if done >= self.n:
                return time.perf_counter() - started_at
            await asyncio.sleep(1)
        return float("nan")

    async def figures(self, slug: str, drained: float) -> dict:
        accepted = _accepted_tags(self.settings.ses_endpoint)
        async with self.db.session() as session:
            ledger = (await session.exec(select(EmailLedgerEntry))).all()
            runs = (await session.exec(select(DunningRun.exit_reason, DunningRun.ended_at))).all()
            swept = (await session.exec(text("SELECT count(*) FROM dunningrun"))).one()[0]
        per_invoice = Counter({row.about_ref: 0 for row in ledger})
        by_tag = {row.send_tag: row.about_ref for row in ledger}
        untagged = 0
        for tag in accepted:
            if tag in by_tag:
                per_invoice[by_tag[tag]] += 1
            else:
                untagged += 1
        invoices = [f"B-{i:06d}" for i in range(self.n)]
        emails = Counter(per_invoice.get(number, 0) for number in invoices)
        settled = Counter(row.reason for row in ledger if row.state == "sent" and row.reason)
        return {
            "n": self.n, "workers": len(self.workers), "runs_expected": self.n, "runs_started": swept,
            "runs_completed": sum(1 for reason, ended_at in runs if ended_at and reason == "completed"),
            "emails_per_invoice": {str(k): v for k, v in sorted(emails.items())},
            "duplicates": sum(1 for number in invoices if per_invoice.get(number, 0) > 1),
            "never_reminded": sum(1 for number in invoices if per_invoice.get(number, 0) == 0),
            "ses_accepted": len(accepted), "ses_accepted_without_ledger_row": untagged,
            "uncertain_settled": dict(settled),
            "uncertain_left": sum(1 for row in ledger if row.state in ("uncertain", "claimed")),
            "throttled_calls": self.proxy.throttled, "throttle_share": self.proxy.share,
            "faults": self.faults, "drain_seconds": round(drained, 1),
            "reconcile_after_seconds": RECONCILE_AFTER_SECONDS,
        }


def _accepted_tags(endpoint: str) -> list[str | None]:
    """The send tag of every message the local SES endpoint accepted (its own record, raw MIME)."""
    ses = local_ses.accepted(endpoint, timeout=60)  # thousands of messages
    return [(message_tags(message_from_string(item["raw_data"]).get("X-SES-MESSAGE-TAGS")).get("relance-send")
             or [None])[0] for item in ses.get("RawMessage", [])]


def report(figures: dict) -> str:
    settled = ", ".join(f"{how} {count}" for how, count in figures["uncertain_settled"].items()) or "none"
    return "\n".join([
        f"runs expected / started / completed: {figures['runs_expected']} / {figures['runs_started']} / "
        f"{figures['runs_completed']}",
        f"emails per invoice: {figures['emails_per_invoice']}  (SES accepted {figures['ses_accepted']})",
        f"duplicates: {figures['duplicates']}   never reminded: {figures['never_reminded']}",
        f"uncertain sends settled: {settled}; still uncertain: {figures['uncertain_left']}",
        f"SES calls throttled: {figures['throttled_calls']} ({figures['throttle_share']:.0%} of sends)",
        f"faults: {', '.join(f['fault'] + ' @' + str(f['at_s']) + 's' for f in figures['faults'])}",
        f"time to drain: {figures['drain_seconds']} s (reconciliation window {figures['reconcile_after_seconds']} s)",
    ])


async def chaos(n: int, kills: int, throttle: float, restarts: bool, seed: int, stops: int, workers: int) -> dict:
    # Ctrl-C or SIGTERM cancels the suite, and its `finally` stops every process it started.
    task = asyncio.current_task()
    for stop in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(stop, task.cancel)
    with tempfile.TemporaryDirectory(prefix="relance-chaos-") as home:
        return await Chaos(Path(home), n, kills, throttle, restarts, seed, stops, workers).run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="overdue invoices (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="relance worker processes (default 2)")
    parser.add_argument("--kills", type=int, default=5, help="worker SIGKILLs, one worker at a time (default 5)")
    parser.add_argument("--stops", type=int, default=0, help="graceful worker stops, SIGTERM as a deploy (default 0)")
    parser.add_argument("--throttle", type=float, default=0.3, help="share of sends SES throttles (default 0.3)")
    parser.add_argument("--no-restarts", action="store_true", help="no Temporal and PostgreSQL restarts")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, help="JSON figures (default bench/results/chaos-<time>.json)")
    args = parser.parse_args(argv)
    say(f"chaos: {args.n} overdue invoices, {args.workers} workers, {args.kills} worker kills, "
        f"{args.stops} graceful stops, "
        f"{'' if args.no_restarts else 'Temporal and PostgreSQL restarts, '}{args.throttle:.0%} of sends throttled")
    figures = asyncio.run(chaos(args.n, args.kills, args.throttle, not args.no_restarts, args.seed, args.stops,
                                args.workers))
    say(report(figures))
    out = args.out or RESULTS / f"chaos-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    say(f"figures: {out}")
    sys.stdout.flush()
    os._exit(0)  # TEMPORAL.md pitfall 9: a client script may abort at exit


if __name__ == "__main__":
    main()
