"""`relance report ORG`: a report as tables in the terminal (or CSV), the same figures the HTTP API
and the reports page show (relance.reports)."""

from __future__ import annotations

import click

from relance.cli.common import DATE, runs
from relance.cli.output import table

COMMANDS: list[click.Command] = []
KINDS = ("dunning", "marketing", "pipeline")  # relance.reports.kinds.REPORTS, named here so --help imports none


@runs(COMMANDS, "report", help="what reminders, campaigns and pipeline rules achieved, as tables")
@click.argument("org")
@click.option("--kind", type=click.Choice(KINDS), default="dunning")
@click.option("--from", "start", type=DATE, help="first day (default: 90 days ago)")
@click.option("--to", "end", type=DATE, help="last day (default: today)")
@click.option("--scenario", help="one scenario's key")
@click.option("--version", type=int, help="one version of that scenario")
@click.option("--csv", is_flag=True, help="CSV instead of tables")
async def report_tables(settings, args, with_db, say) -> int:
    from relance.reports.kinds import REPORTS
    from relance.reports.period import scope
    from relance.reports.tables import csv_text, tables

    async def work(db):
        where = await scope(db, args.org, args.start, args.end, args.scenario, args.version)
        return where, await REPORTS[args.kind](db, where)

    where, report = await with_db(settings, work)
    if args.csv:
        say(csv_text(report).rstrip("\n"))
        return 0
    filters = f", scenario {where.scenario}" + (f" v{where.version}" if where.version else "") if where.scenario else ""
    say(f"{args.kind} report of {where.org_slug}, {where.start} to {where.end} ({where.timezone}{filters})")
    for shown in tables(report):
        say("")
        say(f"{shown.name}:")
        if not shown.rows:
            say("  (none)")
            continue
        table(shown.headers, shown.rows, [f"  {line}" for line in _aligned(shown)])
    return 0


def _aligned(shown) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(shown.headers, *shown.rows, strict=True)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [shown.headers, *shown.rows]]
