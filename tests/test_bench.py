"""The benchmark runs end to end with a tiny N. No timed assertions: the figures only have to exist."""

import json
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from bench import data, marketing
from bench.run import FIGURES
from models import Contact, Invoice
from relance.config import PROJECT_ROOT


@pytest.mark.slow
def test_bench_runs_once_with_a_tiny_n(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, "-m", "bench.run", "--n", "10", "--repeat", "1", "--memory-runs", "20",
         "--memory-samples", "1", "--timeskip-runs", "1", "--out", str(out)],
        cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=300,
    )
    figures = json.loads(out.read_text())["figures"]
    assert set(figures) == set(FIGURES)
    for name, figure in figures.items():
        assert figure["samples"], name
        assert all(figure[key] > 0 for key in ("median", "min", "max")), name


@pytest.mark.slow
def test_the_api_latency_bench_runs_once_with_a_tiny_n(tmp_path):
    out = tmp_path / "api.json"
    subprocess.run([sys.executable, "-m", "bench.api_latency", "--n", "5", "--concurrency", "2", "--out", str(out)],
                   cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=300)
    figures = json.loads(out.read_text())
    assert set(figures) == {"invoice_creation_sequential", "invoice_creation_2_in_flight"}
    assert all(f["n"] == 5 and 0 < f["p50_ms"] <= f["p95_ms"] <= f["max_ms"] for f in figures.values())


async def test_the_bench_loads_more_records_than_one_import_file_holds(db, clean):
    """`make bench` sleeps 10,000 runs and the marketing bench mails 10,000 contacts: more than the importer
    takes in one file (relance/limits.py), so they go as a host sends a big sync, in several."""
    await data.load(db, data.organisation("big", data.BATCH + 1, "today+60", data.ONE_REMINDER), date.today())
    await data.load(db, marketing.organisation("many", data.BATCH + 10), date.today())
    async with db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Invoice))).one() == data.BATCH + 1
        assert (await session.exec(select(func.count()).select_from(Contact))).one() == 10 + data.BATCH + 10
