"""`python -m bench.api_latency`: request latency of the HTTP API's invoice creation, on the local stack.

The stack is relance's own (`relance up`'s launchers, free ports, a throw-away RELANCE_HOME) with its
worker and API processes. The organisation applies dunning to new invoices, so each creation also
starts the invoice's run, as the host application sees it. Requests go one at a time (latency) and
then `--concurrency` at a time (latency under load); prints p50/p95/p99/max and writes JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import data
from bench.stack import BenchStack
from relance import apikeys
from relance.db import Database
from starter.importing import import_data

RESULTS = Path(__file__).parent / "results"


def invoice(number: int) -> dict:
    return {"account": f"C{number % 10}", "invoice_date": "today-5", "due_date": "today+25",
            "amount_excl_tax": "1000.00", "amount_incl_tax": "1200.00"}


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    cut = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "p50_ms": round(cut[49], 1), "p95_ms": round(cut[94], 1), "p99_ms": round(cut[98], 1),
            "max_ms": round(ms[-1], 1)}


async def create(http: httpx.AsyncClient, numbers: range, concurrency: int) -> list[float]:
    timings: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            started = time.perf_counter()
            response = await http.put(f"/v1/invoices/API-{n:06d}", json=invoice(n))
            timings.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise RuntimeError(f"invoice API-{n:06d}: {response.status_code} {response.text}")

    await asyncio.gather(*(one(n) for n in numbers))
    return timings


async def main(n: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="relance-bench-api-") as home:
        stack = BenchStack(Path(home))
        await stack.start()
        try:
            db = Database(stack.settings.database_url)
            org = data.organisation("api", 0, "today", data.ONE_REMINDER, apply_to_new=True)
            await import_data(db, {"organisations": [org]}, "bench", datetime.now(UTC).date())
            _, key = await apikeys.create_key(db, "api", "bench", datetime.now(UTC))
            await db.close()
            base = f"http://{stack.settings.api_host}:{stack.settings.api_port}"
            async with httpx.AsyncClient(base_url=base, timeout=30,
                                         headers={"Authorization": f"Bearer {key}"}) as http:
                await wait_ready(http)
                await create(http, range(0, 20), 1)  # warm-up: connections, caches
                sequential = await create(http, range(20, 20 + n), 1)
                loaded = await create(http, range(20 + n, 20 + 2 * n), concurrency)
        finally:
            stack.stop()
    return {"invoice_creation_sequential": percentiles(sequential),
            f"invoice_creation_{concurrency}_in_flight": percentiles(loaded)}


async def wait_ready(http: httpx.AsyncClient) -> None:
    for _ in range(200):
        try:
            if (await http.get("/readyz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the API never became ready")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="invoices per phase (default 200)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=RESULTS / "api_latency.json")
    args = parser.parse_args()
    figures = asyncio.run(main(args.n, args.concurrency))
    for name, f in figures.items():
        print(f"{name:34} n={f['n']:5}  p50 {f['p50_ms']:7} ms  p95 {f['p95_ms']:7} ms  p99 {f['p99_ms']:7} ms  "
              f"max {f['max_ms']:7} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
