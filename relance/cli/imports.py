"""`relance import FILE [--dry-run]`: a YAML or JSON file imported all or nothing, its runs started,
as the host application imports (starter.importing)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from relance.cli.common import connect, runs
from relance.cli.output import say, status

COMMANDS: list[click.Command] = []


@runs(COMMANDS, "import", help="import a YAML or JSON file (format in docs/import-format.md)")
@click.argument("file")
@click.option("--dry-run", is_flag=True, help="say what the file would change, write nothing")
async def import_file(settings, args, with_db, say_) -> int:
    from relance.importing import guard
    from relance.importing.importer import read_file

    with guard.bounded():  # the API's bounds: past them the command says so and ends, nothing written
        if args.dry_run:
            await dry_run(settings, args.file)
            return 0
        client = await connect(settings)

        async def work(db):
            await load_and_start(settings, client, db, read_file(Path(args.file)), args.file)

        await with_db(settings, work)
        return 0


async def load_and_start(settings, client, db, raw, source: str):
    """Import and start, as the host application does (starter.importing.import_and_start), saying what happened."""
    from relance.importing.importer import import_day
    from starter.importing import import_and_start

    with status() as progress:
        outcome = await import_and_start(client, db, settings.task_queue, settings.sweep_cron, raw, source,
                                         import_day(raw, datetime.now(UTC)), progress=progress, settings=settings)
    report = outcome.report
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(report.counts.items()))
    say(f"imported {len(report.organisations)} organisation(s): {counts}")
    if outcome.runs_started:
        say(f"started {outcome.runs_started} run(s) at invoice creation (apply-to-new-invoices)")
    say(f"nightly schedule(s): {', '.join(outcome.schedules)} ({settings.sweep_cron}, organisation time zone)")
    return report


async def dry_run(settings, path: str) -> None:
    """What the file would change, section by section; nothing is written, nothing started."""
    from relance.cli.common import with_db
    from relance.importing import changes
    from relance.importing.importer import import_day, read_file
    from starter.importing import import_data

    async def work(db):
        raw = read_file(Path(path))
        report = await import_data(db, raw, path, import_day(raw, datetime.now(UTC)), dry_run=True)
        say(f"dry run of {path}: nothing written")
        for line in changes.lines(report.changes):
            say(line)
        if not report.changes.changed:
            say("nothing would change")

    await with_db(settings, work)
