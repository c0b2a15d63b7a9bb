"""Pipeline figures on the local stack (the worker in its own process, as in production): N
opportunities x E events each, reported back to back (update-with-start, not waiting), through the
entity workflows.

- events per second, from the first report to the last automation done;
- latency from an event's report to its last automation done (its apply when none), p50 and p95;
- the worker's CPU per event;
- with --open, the worker's and the server's memory with that many opportunity workflows open;
- --conditions puts a condition on the rule (it holds); --time-trigger adds a rule "30 days in its
  stage", so every open opportunity keeps a pending timer in its workflow;
- --pending N, instead: N opportunities, one event each (R1 -> R3: no automation), so that N
  workflows stay open, each with its time trigger's timer pending; the worker's and the server's
  memory before and after.

    .venv/bin/python -m bench.pipeline [--opportunities 1000] [--events 10] [--conditions] [--open]
    .venv/bin/python -m bench.pipeline --pending 10000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select
from temporalio.client import Client

from bench import data
from bench.measure import bounded, cpu_seconds, rss_mb, until
from bench.stack import BenchStack
from models import AutomationRun, PipelineEvent
from relance.db import Database
from starter import pipeline

STAGES = ["R2", "R3"]


# --conditions: a condition on the rule that always holds (the same automations run), read on every event.
CONDITION = {"and": [{"field": "amount", "ge": 0}, {"not": {"field": "tags", "contains": "perdu"}},
                     {"or": [{"field": "salesperson", "is": "paul@example.com"}, {"field": "stage", "in": ["R3"]}]}]}
# --time-trigger: every open opportunity keeps a timer (30 days in its stage) in its workflow.
STALE = {"key": "stale", "trigger": {"when": "days_in_stage", "days": 30}, "automations": [{"do": "notify",
                                                                                           "text": "30 jours"}]}


def organisation(slug: str, opportunities: int, conditions: bool = False, time_trigger: bool = False) -> dict:
    """Entering R2 posts a notification and tags: every other event runs two automations."""
    rule = {"key": "r2", "trigger": {"when": "enters_stage", "stage": "R2"},
            "automations": [{"do": "notify", "text": "en R2"}, {"do": "add_tag", "tag": "r2"}]}
    if conditions:
        rule["condition"] = CONDITION
    return {
        "slug": slug, "name": f"Bench {slug}", "holiday_country": "none",
        "users": [{"email": "paul@example.com", "first_name": "Paul"}],
        "pipeline": {
            "action_types": [{"key": "call"}],
            "processes": [{"key": "sales", "name": "Ventes", "stages": [{"key": "R1"}, {"key": "R2"}, {"key": "R3"}],
                           "rules": [rule, *([STALE] if time_trigger else [])]}],
            # An amount: the condition reads it (a field the opportunity lacks makes a condition not hold).
            "opportunities": [{"ref": f"O{n}", "process": "sales", "stage": "R1", "assigned_to": "paul@example.com",
                               "amount": "1000"} for n in range(opportunities)],
        },
    }


async def run(stack: BenchStack, client: Client, db: Database, opportunities: int, events: int,
              conditions: bool = False, time_trigger: bool = False) -> dict:
    slug = f"pipe-{uuid.uuid4().hex[:6]}"
    await data.load(db, organisation(slug, opportunities, conditions, time_trigger), datetime.now(UTC).date())
    worker = stack.processes()["worker"]
    reported: dict[tuple[str, str], float] = {}

    async def stream(ref: str) -> None:
        """One opportunity's events, in order (each accepted before the next is sent)."""
        for n in range(events):
            event_id = f"{ref}-{n}"
            reported[(ref, event_id)] = time.time()
            await pipeline.report_event(client, db, stack.settings.task_queue, slug, {
                "event_id": event_id, "opportunity": ref, "kind": "opportunity", "stage": STAGES[n % 2]})

    cpu_before, started = cpu_seconds(worker), time.perf_counter()
    await bounded((lambda ref=f"O{n}": stream(ref)) for n in range(opportunities))
    reported_in = time.perf_counter() - started
    total = opportunities * events
    automations = opportunities * ((events + 1) // 2) * 2
    await until(lambda: _count(db, PipelineEvent), total, 600 + total / 5, stack.check_alive)
    finished = await until(lambda: _settled(db), automations, 600 + total / 5, stack.check_alive)
    elapsed, cpu = finished - started, cpu_seconds(worker) - cpu_before
    latencies = await _latencies(db, reported)
    return {"opportunities": opportunities, "events": total, "automations": automations,
            "seconds": round(elapsed, 1), "all_reported_after_s": round(reported_in, 1),
            "events_per_second": round(total / elapsed, 1),
            "latency_p50_ms": round(1000 * statistics.median(latencies)),
            "latency_p95_ms": round(1000 * statistics.quantiles(latencies, n=20)[18]),
            "worker_cpu_ms_per_event": round(1000 * cpu / total, 2), "slug": slug}


async def pending(stack: BenchStack, client: Client, db: Database, opportunities: int) -> dict:
    """N open opportunity workflows, each waiting for its "30 days in its stage" moment (a timer)."""
    slug = f"pend-{uuid.uuid4().hex[:6]}"
    await data.load(db, organisation(slug, opportunities, time_trigger=True), datetime.now(UTC).date())
    procs = stack.processes()
    before = {name: round(rss_mb(procs[name])) for name in ("worker", "server")}
    started = time.perf_counter()

    async def one(ref: str) -> None:
        await pipeline.report_event(client, db, stack.settings.task_queue, slug, {
            "event_id": f"{ref}-r3", "opportunity": ref, "kind": "opportunity", "stage": "R3"})

    await bounded((lambda ref=f"O{n}": one(ref)) for n in range(opportunities))
    await until(lambda: _count(db, PipelineEvent), opportunities, 600 + opportunities / 5, stack.check_alive)
    elapsed = time.perf_counter() - started
    sample = await pipeline.status(client, slug, "O0")
    return {"open_workflows": opportunities, "seconds_to_open": round(elapsed, 1),
            "pending_in_O0": sample.moments, "worker_rss_mb_before": before["worker"],
            "worker_rss_mb": round(rss_mb(procs["worker"])), "server_rss_mb_before": before["server"],
            "server_rss_mb": round(rss_mb(procs["server"]))}


async def _count(db: Database, table) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def _settled(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(AutomationRun).where(
            AutomationRun.state == "done"))).one()


async def _latencies(db: Database, reported: dict[tuple[str, str], float]) -> list[float]:
    """Report to last automation done (business time is the server's clock, the same host's)."""
    async with db.session() as session:
        handled = dict(((e, h) for e, h in (await session.exec(select(PipelineEvent.event_id,
                                                                      PipelineEvent.handled_at))).all()))
        last = dict((await session.exec(select(AutomationRun.event_id, func.max(AutomationRun.settled_at))
                                        .group_by(AutomationRun.event_id))).all())
    return [max(handled[e], last.get(e) or handled[e]).timestamp() - at for (_, e), at in reported.items()]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as home:
        stack = BenchStack(Path(home))
        try:
            client = await stack.start()
            db = Database(stack.settings.database_url)
            if args.pending:
                print(f"{args.pending} opportunities with a pending time trigger:",
                      await pending(stack, client, db, args.pending))
                await db.close()
                return
            print(f"{args.opportunities} opportunities x {args.events} events"
                  f"{' (conditions)' if args.conditions else ''}{' (time trigger)' if args.time_trigger else ''}:",
                  await run(stack, client, db, args.opportunities, args.events, args.conditions, args.time_trigger))
            if args.open:
                procs = stack.processes()
                print(f"open workflows: {args.opportunities}, worker_rss_mb={round(rss_mb(procs['worker']))}, "
                      f"server_rss_mb={round(rss_mb(procs['server']))}")
            await db.close()
        finally:
            stack.stop()


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--opportunities", type=int, default=1000)
    p.add_argument("--events", type=int, default=10)
    p.add_argument("--open", action="store_true", help="also report memory with the opportunities' workflows open")
    p.add_argument("--conditions", action="store_true", help="a condition on the rule (it holds: same automations)")
    p.add_argument("--time-trigger", action="store_true", help="a time trigger: each opportunity keeps a timer")
    p.add_argument("--pending", type=int, default=0, metavar="N",
                   help="instead: N open opportunities, each with a pending time trigger; memory")
    asyncio.run(main(p.parse_args()))
    os._exit(0)  # sdk-python#300
