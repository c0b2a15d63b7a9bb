"""`python -m bench.run`: relance against bare Temporal on one local stack, in one run.

Two references: the bare baseline (one no-op activity) and the same-shape baseline (a dunning run's
shape with no-op activities, bench/same_shape.py), so relance / same-shape is what relance's own
code costs. Baseline, same-shape and relance repetitions alternate, so drift on a shared machine hits
all alike; each figure is reported as median, min and max over its repetitions. Prints a table,
writes JSON (with the event counts of one history of each shape, to show they match).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench import data, memory, throughput, timeskip
from bench.stack import BenchStack
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.logging import configure

WARM_UP_RUNS = 20

# name: (unit, target, how it is read)
FIGURES = {
    "baseline_workflows_per_s": ("wf/s", "40-50 expected", "bare one-activity workflows, first start to last completion"),
    "relance_runs_per_s": ("runs/s", "", "sweep start to last first reminder sent (audit row 'sent')"),
    "relance_to_baseline": ("ratio", ">= 0.8", "relance runs/s over baseline wf/s, same repetition"),
    "same_shape_workflows_per_s": ("wf/s", "", "same-shape no-op workflows, first start to last completion"),
    "relance_to_same_shape": ("ratio", ">= 0.8", "relance runs/s over same-shape wf/s, same repetition"),
    "sweep_starts_per_s": ("runs/s", "", "runs started by the sweep alone"),
    "bare_starts_per_s": ("wf/s", "", "bare starts, 32 in flight"),
    "ninety_day_scenario_s": ("s", "< 0.3", "whole default scenario on the time-skipping server"),
    "worker_rss_mb": ("MB", "< 250", "relance worker with the sleeping runs"),
    "server_rss_mb": ("MB", "", "dev server with the sleeping runs"),
    "worker_cpu_ms_per_run": ("ms", "<= 17", "relance worker CPU per run (whole run)"),
    "server_cpu_ms_per_run": ("ms", "", "dev server CPU per relance run"),
    "postgres_cpu_ms_per_run": ("ms", "", "PostgreSQL CPU per relance run"),
    "ses_cpu_ms_per_run": ("ms", "", "local SES endpoint CPU per relance run"),
    "machine_cpu_ms_per_run": ("ms", "", "whole machine CPU per relance run (bench client included)"),
    "machine_busy_percent": ("%", "", "machine busy while relance runs (100 = all cores)"),
    "workers_runs_per_s": ("runs/s", "", "relance with --workers worker processes, same reading as relance_runs_per_s"),
    "workers_scaling": ("ratio", "", "workers_runs_per_s over relance_runs_per_s (median of the one-worker repetitions)"),
    "workers_worker_cpu_ms_per_run": ("ms", "", "CPU per run of all the worker processes together"),
    "workers_machine_busy_percent": ("%", "", "machine busy while the worker processes run"),
    "baseline_worker_cpu_ms_per_run": ("ms", "", "baseline worker CPU per bare workflow"),
    "baseline_server_cpu_ms_per_run": ("ms", "", "dev server CPU per bare workflow"),
    "baseline_machine_cpu_ms_per_run": ("ms", "", "whole machine CPU per bare workflow (client included)"),
    "baseline_machine_busy_percent": ("%", "", "machine busy while bare workflows run"),
    "same_shape_worker_cpu_ms_per_run": ("ms", "", "baseline worker CPU per same-shape workflow"),
    "same_shape_server_cpu_ms_per_run": ("ms", "", "dev server CPU per same-shape workflow"),
    "same_shape_machine_cpu_ms_per_run": ("ms", "", "whole machine CPU per same-shape workflow (client included)"),
    "same_shape_machine_busy_percent": ("%", "", "machine busy while same-shape workflows run"),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--n", type=int, default=2000, help="runs per throughput repetition (default 2000)")
    p.add_argument("--repeat", type=int, default=3, help="throughput repetitions (default 3)")
    p.add_argument("--workers", type=int, default=2,
                   help="relance worker processes of the scaling phase after the one-worker repetitions (default 2; "
                        "1 skips it)")
    p.add_argument("--memory-runs", type=int, default=10_000, help="sleeping runs for the memory figure")
    p.add_argument("--memory-samples", type=int, default=3, help="RSS readings, 1 s apart")
    p.add_argument("--timeskip-runs", type=int, default=20, help="90-day scenarios on the test server")
    p.add_argument("--out", type=Path, default=Path("bench/results/latest.json"))
    return p


async def measure(args) -> tuple[dict[str, list[float]], dict[str, dict[str, int]]]:
    samples: dict[str, list[float]] = {name: [] for name in FIGURES}
    home = Path(tempfile.mkdtemp(prefix="relance-bench-"))
    stack = BenchStack(home)
    print(f"stack under {home}", file=sys.stderr)
    try:
        client = await stack.start()
        db = Database(stack.settings.database_url)
        mailer = SesMailer(stack.settings)
        await mailer.verify(data.SENDER)
        step("90-day scenario on the time-skipping server")
        samples["ninety_day_scenario_s"] = await timeskip.ninety_days(db, mailer, args.timeskip_runs)
        step("warm-up")
        await throughput.baseline(stack, client, WARM_UP_RUNS)
        shapes = {"same_shape": (await throughput.same_shape(stack, client, WARM_UP_RUNS))["example"],
                  "relance": (await throughput.relance(stack, client, db, WARM_UP_RUNS))["example"]}
        shapes = {name: await throughput.history_shape(client, workflow_id) for name, workflow_id in shapes.items()}
        print(f"  history events, same-shape: {shapes['same_shape']}\n  history events, relance:    "
              f"{shapes['relance']}", file=sys.stderr)
        for rep in range(args.repeat):
            step(f"repetition {rep + 1}/{args.repeat}: baseline, same-shape, then relance, {args.n} runs each")
            bare = await throughput.baseline(stack, client, args.n)
            same = await throughput.same_shape(stack, client, args.n)
            ours = await throughput.relance(stack, client, db, args.n)
            print(f"  baseline {bare['workflows_per_s']:.1f} wf/s, same-shape {same['workflows_per_s']:.1f} wf/s, "
                  f"relance {ours['runs_per_s']:.1f} runs/s; worker CPU ms/run: bare "
                  f"{bare['worker_cpu_ms_per_run']:.1f}, same-shape {same['worker_cpu_ms_per_run']:.1f}, "
                  f"relance {ours['worker_cpu_ms_per_run']:.1f}", file=sys.stderr)
            for name, value in [
                ("baseline_workflows_per_s", bare["workflows_per_s"]), ("relance_runs_per_s", ours["runs_per_s"]),
                ("relance_to_baseline", ours["runs_per_s"] / bare["workflows_per_s"]),
                ("same_shape_workflows_per_s", same["workflows_per_s"]),
                ("relance_to_same_shape", ours["runs_per_s"] / same["workflows_per_s"]),
                ("sweep_starts_per_s", ours["sweep_starts_per_s"]), ("bare_starts_per_s", bare["starts_per_s"]),
                *((name, ours[name]) for name in (
                    "worker_cpu_ms_per_run", "server_cpu_ms_per_run", "postgres_cpu_ms_per_run",
                    "ses_cpu_ms_per_run", "machine_cpu_ms_per_run", "machine_busy_percent")),
                *((f"{prefix}_{name}", phase[name]) for prefix, phase in (("baseline", bare), ("same_shape", same))
                  for name in ("worker_cpu_ms_per_run", "server_cpu_ms_per_run", "machine_cpu_ms_per_run",
                               "machine_busy_percent")),
            ]:
                samples[name].append(value)
        if args.workers > 1:
            samples.update(await more_workers(stack, client, db, args, statistics.median(samples["relance_runs_per_s"])))
        step(f"{args.memory_runs} sleeping runs")
        samples.update(await memory.sleeping_runs(stack, client, db, args.memory_runs, args.memory_samples))
        await db.close()
    finally:
        stack.stop()
    shutil.rmtree(home, ignore_errors=True)
    return samples, shapes


async def more_workers(stack: BenchStack, client, db: Database, args, one_worker_runs_per_s: float) -> dict:
    """The same relance repetitions with `--workers` worker processes on the queues: how far a second
    process scales on this machine (the server, PostgreSQL and the SES endpoint share its cores)."""
    for _ in range(args.workers - 1):
        stack.add_worker()
    try:
        await throughput.relance(stack, client, db, WARM_UP_RUNS)
        figures: dict[str, list[float]] = {"workers_runs_per_s": [], "workers_scaling": [],
                                           "workers_worker_cpu_ms_per_run": [], "workers_machine_busy_percent": []}
        for rep in range(args.repeat):
            step(f"{args.workers} worker processes, repetition {rep + 1}/{args.repeat}: relance, {args.n} runs")
            ours = await throughput.relance(stack, client, db, args.n)
            print(f"  relance {ours['runs_per_s']:.1f} runs/s with {args.workers} workers; worker CPU ms/run "
                  f"{ours['worker_cpu_ms_per_run']:.1f} (all processes)", file=sys.stderr)
            figures["workers_runs_per_s"].append(ours["runs_per_s"])
            figures["workers_scaling"].append(ours["runs_per_s"] / one_worker_runs_per_s)
            figures["workers_worker_cpu_ms_per_run"].append(ours["worker_cpu_ms_per_run"])
            figures["workers_machine_busy_percent"].append(ours["machine_busy_percent"])
        return figures
    finally:
        stack.remove_extra_workers()


def step(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def summarise(samples: dict[str, list[float]]) -> dict:
    return {name: {"median": statistics.median(values), "min": min(values), "max": max(values),
                   "samples": values, "unit": FIGURES[name][0], "target": FIGURES[name][1],
                   "what": FIGURES[name][2]}
            for name, values in samples.items() if values}


def table(figures: dict) -> str:
    lines = [f"{'figure':32} {'median':>10} {'min':>10} {'max':>10}  {'unit':7} target",
             "-" * 84]
    for name, f in figures.items():
        lines.append(f"{name:32} {f['median']:10.3f} {f['min']:10.3f} {f['max']:10.3f}  {f['unit']:7} {f['target']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure("console", "WARNING")  # the in-process time-skipping worker would log every step
    samples, shapes = asyncio.run(measure(args))
    figures = summarise(samples)
    report = {
        "parameters": {"n": args.n, "repeat": args.repeat, "workers": args.workers, "memory_runs": args.memory_runs,
                       "memory_samples": args.memory_samples, "timeskip_runs": args.timeskip_runs},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "figures": figures,
        "history_events": shapes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(table(figures))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
