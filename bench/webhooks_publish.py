"""What publish() adds to a dunning step when the organisation has no webhook endpoint (the common
case, on the hot path of every step and every run's end): its latency beside a bare `SELECT 1` on
the same pool, on a throw-away embedded PostgreSQL.

    .venv/bin/python -m bench.webhooks_publish [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.stack import free_port
from relance.db import Database
from relance.local.postgres import LocalPostgres
from relance.migrate import upgrade_async
from relance.webhooks.publishing import Event, Publisher

ORG = text("INSERT INTO organisation (slug, name, timezone, locale, currency, dunning_enabled, "
           "dunning_apply_to_new_invoices, send_window_start, send_window_end, send_weekdays, sender_mode) "
           "VALUES ('bench', 'Bench', 'Europe/Paris', 'fr_FR', 'EUR', true, false, '09:00', '18:00', 'mon-fri', "
           "'user') RETURNING id")


async def timed(n: int, call) -> list[float]:
    """Milliseconds per call, one after the other."""
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    return (f"{name:42} p50 {statistics.median(ordered):6.3f} ms   p95 {ordered[int(len(ordered) * 0.95)]:6.3f} ms"
            f"   ({len(ordered)} calls)")


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        pg = LocalPostgres(Path(home) / "data", port=free_port())
        pg.start()
        try:
            pg.create_database("bench")
            url = pg.url("bench")
            await upgrade_async(url)
            db = Database(url, ping_on_checkout=False)
            async with db.autocommit() as session:
                org_id = (await session.exec(ORG)).one()[0]
            publisher = Publisher(db, client=None, task_queue="unused: no endpoint, nothing is started")
            now = datetime.now(UTC)

            async def select_one(_):
                async with db.autocommit() as session:
                    await session.exec(text("SELECT 1"))

            async def publish(i):
                await publisher.publish(Event(org_id, "bench", "reminder.sent", f"dunning:bench:B-{i}:0:email",
                                              {"invoice_number": f"B-{i}"}, now))

            await timed(200, select_one)  # warm the pool and the statement caches
            await timed(200, publish)
            print(summary("SELECT 1 (a round trip)", await timed(n, select_one)))
            print(summary("publish(), organisation without endpoint", await timed(n, publish)))
            await db.close()
        finally:
            pg.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks_publish", description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    asyncio.run(main(parser.parse_args().n))
