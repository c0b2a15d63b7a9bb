"""`python -m bench.healthz_under_load`: how long /healthz takes while heavy imports are in flight.

On the local stack (bench.stack: its own API process), two organisations send at once: one a YAML file
of just under 20 MB (the body limit; ~138,000 invoices), the other a file whose one template loops
without printing (refused when its render is checked). Meanwhile /healthz is asked one request after the
other. Prints /healthz latency alone and under that load (p50/p95/p99/max), how long each import took
and what it answered, and the peak memory of the API process and of its largest child (where an import
runs). Figures only, no assertion.

    .venv/bin/python -m bench.healthz_under_load [--invoices 138000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import yaml

from bench import data
from bench.api_latency import percentiles, wait_ready
from bench.stack import BenchStack
from relance import apikeys
from relance.db import Database
from starter.importing import import_data

SILENT_LOOPS = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"
YAML = {"content-type": "application/yaml"}


def big_file(invoices: int) -> bytes:
    org = data.organisation("big", invoices, "today-20", data.ONE_REMINDER)
    org["users"] = [{"email": data.SENDER}]
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump({"organisations": [org]}, Dumper=dumper, sort_keys=False).encode()


def slow_template_file() -> dict:
    org = data.organisation("slow", 0, "today", data.ONE_REMINDER)
    org["templates"] = [{"key": "slow", "name": "Slow", "subject": "s", "body": SILENT_LOOPS}]
    return {"organisations": [org]}


async def healthz_until(http: httpx.AsyncClient, done: asyncio.Event | None, samples: int = 0) -> list[float]:
    """/healthz one after the other, until `done` is set (or `samples` of them)."""
    timings: list[float] = []
    while (done is not None and not done.is_set()) or len(timings) < samples:
        started = time.perf_counter()
        (await http.get("/healthz")).raise_for_status()
        timings.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)
    return timings


async def timed(http: httpx.AsyncClient, key: str, **request) -> dict:
    started = time.perf_counter()
    try:
        answer = await http.post("/v1/imports", headers={"Authorization": f"Bearer {key}",
                                                         **request.pop("headers", {})}, **request)
    except httpx.TimeoutException:
        return {"status": "no answer", "seconds": round(time.perf_counter() - started, 1), "said": "timed out"}
    return {"status": answer.status_code, "seconds": round(time.perf_counter() - started, 1),
            "said": answer.text[:160]}


async def peak_memory(pid: int, done: asyncio.Event) -> tuple[int, int]:
    """The API process's peak memory, and the largest of its children's (an import's process)."""
    api, child, proc = 0, 0, psutil.Process(pid)
    while not done.is_set():
        api = max(api, proc.memory_info().rss)
        for kid in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child = max(child, kid.memory_info().rss)
        await asyncio.sleep(0.1)
    return api, child


async def main(invoices: int) -> dict:
    body = big_file(invoices)
    with tempfile.TemporaryDirectory(prefix="relance-bench-healthz-") as home:
        stack = BenchStack(Path(home))
        await stack.start()
        try:
            db = Database(stack.settings.database_url)
            keys = {}
            for slug in ("big", "slow"):
                org = data.organisation(slug, 0, "today", data.ONE_REMINDER)
                await import_data(db, {"organisations": [org]}, "bench", datetime.now(UTC).date())
                keys[slug] = (await apikeys.create_key(db, slug, "bench", datetime.now(UTC)))[1]
            await db.close()
            async with httpx.AsyncClient(base_url=stack.local.api_url, timeout=600) as http:
                await wait_ready(http)
                alone = await healthz_until(http, None, samples=100)
                done = asyncio.Event()
                memory = asyncio.create_task(peak_memory(stack.local._api.pid, done))
                polling = asyncio.create_task(healthz_until(http, done))
                imports = await asyncio.gather(
                    timed(http, keys["big"], content=body, headers=YAML),
                    timed(http, keys["slow"], json=slow_template_file()))
                done.set()
                loaded, peak = await polling, await memory
        finally:
            stack.stop()
    return {"file_MB": round(len(body) / 2**20, 1), "healthz_alone": percentiles(alone),
            "healthz_under_load": percentiles(loaded), "import_20MB": imports[0], "import_slow_template": imports[1],
            "api_peak_rss_MB": round(peak[0] / 2**20), "child_peak_rss_MB": round(peak[1] / 2**20)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=138_000, help="invoices of the big file (default: ~20 MB)")
    figures = asyncio.run(main(parser.parse_args().invoices))
    print(f"file: {figures['file_MB']} MB; peak memory: API {figures['api_peak_rss_MB']} MB, "
          f"largest child {figures['child_peak_rss_MB']} MB")
    for name in ("healthz_alone", "healthz_under_load"):
        f = figures[name]
        print(f"{name:20} n={f['n']:5}  p50 {f['p50_ms']:8} ms  p95 {f['p95_ms']:8} ms  p99 {f['p99_ms']:8} ms  "
              f"max {f['max_ms']:8} ms")
    for name in ("import_20MB", "import_slow_template"):
        f = figures[name]
        print(f"{name:20} {f['status']} in {f['seconds']} s: {f['said']}")
