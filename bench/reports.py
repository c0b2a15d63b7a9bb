"""How long a report takes over 100,000 invoices (the issue's bound: under 2 s on this machine).

Two organisations of N invoices each over the last year (the other one is there so the reports must
find theirs among twice as many rows), written in bulk by SQL as the engine would have left them:
runs for 80 % of the invoices, two reminders each (1 in 50 not sent), their ledger rows, 1 bounce in
100, payments for 60 %. Then each report over the whole year, `--repeat` times; the median and the
worst are printed, in wall time and in CPU time (PostgreSQL's processes and the bench's: on a machine
others share, the wall time says how busy it is, the CPU time what the report costs). `--explain` also
prints the plan of each statement of the dunning report, with its timings, to see what costs. Only
PostgreSQL is started (embedded, a throw-away folder).

    .venv/bin/python -m bench.reports [--invoices 100000] [--repeat 5] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psutil
from sqlalchemy import text

from bench.data import DEFAULT_SCENARIO, organisation
from bench.stack import free_port
from relance.db import Database
from relance.local.postgres import LocalPostgres
from relance.migrate import upgrade_async
from relance.reports.dunning import statements
from relance.reports.kinds import REPORTS
from relance.reports.period import scope
from relance.reports.sql import rows
from starter.importing import import_data

_BULK = [
    """INSERT INTO invoice (org_id, number, account_id, invoice_date, due_date, amount_excl_tax, amount_incl_tax,
                            status, do_not_remind, has_payment_schedule)
       SELECT :org, 'B-' || g, :account, x.d, x.d + 30, round(x.a / 1.2, 2), x.a,
              CASE WHEN g % 10 < 6 THEN 'paid' ELSE 'issued' END, false, false
       FROM generate_series(1, :n) g,
            LATERAL (SELECT (CAST(:today AS date) - 400 + g % 370) AS d, round(100 + (g * 37) % 5000, 2) AS a) x""",
    """INSERT INTO dunningrun (workflow_id, org_id, invoice_id, scenario_id, state, current_step, started_at,
                               ended_at, exit_reason)
       SELECT 'dunning:' || :slug || ':' || i.number, i.org_id, i.id, :scenario, 'ended', 1,
              (i.due_date - 3)::timestamptz, (i.due_date + 20)::timestamptz,
              CASE WHEN i.status = 'paid' THEN 'paid' ELSE 'completed' END
       FROM invoice i WHERE i.org_id = :org AND i.id % 5 <> 0""",
    """INSERT INTO runevent (workflow_id, step_position, kind, outcome, reason, idem_key, occurred_at)
       SELECT r.workflow_id, p, 'email', CASE WHEN r.invoice_id % 50 = 1 THEN 'not_sent' ELSE 'sent' END,
              CASE WHEN r.invoice_id % 50 = 1 THEN 'no_recipient' END, r.workflow_id || ':' || p || '\\:email',
              r.started_at + p * interval '13 days'
       FROM dunningrun r, generate_series(0, 1) p WHERE r.org_id = :org""",
    """INSERT INTO emailledger (idem_key, org_id, workflow_id, about_kind, about_ref, state, provider_message_id,
                                claimed_at, settled_at)
       SELECT e.idem_key, :org, e.workflow_id, 'invoice', e.workflow_id, 'sent', 'msg-' || e.id, e.occurred_at,
              e.occurred_at
       FROM runevent e JOIN dunningrun r USING (workflow_id) WHERE r.org_id = :org AND e.outcome = 'sent'""",
    """INSERT INTO emailevent (provider_message_id, kind, recipient, occurred_at)
       SELECT l.provider_message_id, 'Bounce', 'x@example.org', l.claimed_at
       FROM emailledger l WHERE l.org_id = :org AND hashtext(l.idem_key) % 100 = 0""",
    """INSERT INTO payment (invoice_id, ref, amount, paid_on)
       SELECT i.id, 'P-' || i.id, i.amount_incl_tax, i.due_date + i.id % 40 - 5
       FROM invoice i WHERE i.org_id = :org AND i.status = 'paid'""",
]


async def _organisation(db: Database, slug: str, invoices: int, today: date) -> None:
    await import_data(db, {"organisations": [organisation(slug, 0, "today", DEFAULT_SCENARIO)]}, "bench", today)
    async with db.session() as session:
        ids = (await session.execute(text(
            "SELECT o.id AS org, o.default_scenario_id AS scenario, min(a.id) AS account FROM organisation o "
            "JOIN account a ON a.org_id = o.id WHERE o.slug = :slug GROUP BY o.id"), {"slug": slug})).mappings().one()
        for statement in _BULK:
            params = {**ids, "slug": slug, "n": invoices, "today": today}
            await session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})


def _cpu(postgres: LocalPostgres) -> float:
    """CPU seconds used so far by PostgreSQL's processes and this one."""
    postmaster = psutil.Process(int((postgres.data_dir / "postmaster.pid").read_text().split()[0]))
    processes = [postmaster, *postmaster.children(), psutil.Process()]
    return sum(sum(p.cpu_times()[:2]) for p in processes)


async def measure(postgres: LocalPostgres, url: str, invoices: int, repeat: int,
                  explain: bool) -> dict[str, list[tuple]]:
    db = Database(url)
    today = date.today()
    try:
        started = time.perf_counter()
        for slug in ("bench", "other"):
            await _organisation(db, slug, invoices, today)
        async with db.autocommit() as session:
            await session.execute(text("ANALYZE"))
        print(f"data: 2 organisations × {invoices} invoices written in {time.perf_counter() - started:.1f} s")
        where = await scope(db, "bench", today - timedelta(days=364), today)
        timings: dict[str, list[tuple]] = {kind: [] for kind in REPORTS}
        for _ in range(repeat):
            for kind, report in REPORTS.items():
                started, cpu = time.perf_counter(), _cpu(postgres)
                await report(db, where)
                timings[kind].append((time.perf_counter() - started, _cpu(postgres) - cpu))
        figures = await REPORTS["dunning"](db, where)
        print(f"dunning report of 'bench' over {where.start}..{where.end}: reminded "
              f"{figures.by_currency[0].reminded}, recovered {figures.by_currency[0].recovered}, "
              f"{len(figures.weeks)} weeks, not sent {[(n.reason, n.emails) for n in figures.not_sent]}")
        if explain:
            for name, plan in (await rows(db, statements(where), where, explain=True)).items():
                print(f"--- plan of the dunning report's statement '{name}'")
                print("\n".join(next(iter(line.values())) for line in plan))
        return timings
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the dunning report's plans and timings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relance-bench-reports-") as home:
        postgres = LocalPostgres(Path(home) / "postgres", port=free_port())
        postgres.start()
        try:
            postgres.create_database("relance")
            url = postgres.url("relance")
            asyncio.run(upgrade_async(url))
            timings = asyncio.run(measure(postgres, url, args.invoices, args.repeat, args.explain))
        finally:
            postgres.destroy()
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for kind, runs in timings.items():
        wall, cpu = [run[0] for run in runs], [run[1] for run in runs]
        print(f"{kind:10} report over {args.invoices} invoices: wall median {statistics.median(wall):.3f} s "
              f"(worst {max(wall):.3f} s), CPU median {statistics.median(cpu):.3f} s (worst {max(cpu):.3f} s), "
              f"{len(runs)} runs")


if __name__ == "__main__":
    main()
