"""`relance report ORG`: a report as tables in the terminal (or CSV), the same figures the HTTP API
and the reports page show (relance.reports)."""

from __future__ import annotations

import argparse
from datetime import date

from relance.config import Settings
from relance.reports.kinds import REPORTS
from relance.reports.period import scope
from relance.reports.tables import Table, csv_text, tables


def add_parser(sub) -> None:
    report = sub.add_parser("report", help="what reminders, campaigns and pipeline rules achieved, as tables")
    report.add_argument("org")
    report.add_argument("--kind", choices=list(REPORTS), default="dunning")
    report.add_argument("--from", dest="start", type=date.fromisoformat, help="first day (default: 90 days ago)")
    report.add_argument("--to", dest="end", type=date.fromisoformat, help="last day (default: today)")
    report.add_argument("--scenario", help="one scenario's key")
    report.add_argument("--version", type=int, help="one version of that scenario")
    report.add_argument("--csv", action="store_true", help="CSV instead of tables")


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    async def work(db):
        where = await scope(db, args.org, args.start, args.end, args.scenario, args.version)
        return where, await REPORTS[args.kind](db, where)

    where, report = await with_db(settings, work)
    if args.csv:
        say(csv_text(report).rstrip("\n"))
        return 0
    filters = f", scenario {where.scenario}" + (f" v{where.version}" if where.version else "") if where.scenario else ""
    say(f"{args.kind} report of {where.org_slug}, {where.start} to {where.end} ({where.timezone}{filters})")
    for table in tables(report):
        say("")
        say(f"{table.name}:")
        for line in _aligned(table):
            say(f"  {line}")
    return 0


def _aligned(table: Table) -> list[str]:
    if not table.rows:
        return ["(none)"]
    widths = [max(len(cell) for cell in column) for column in zip(table.headers, *table.rows, strict=True)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [table.headers, *table.rows]]
