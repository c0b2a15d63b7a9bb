"""How fast an import file is taken or refused: N valid invoices (default 4,500, about the most a file
may hold: relance.limits) in YAML and JSON, imported into the local embedded PostgreSQL through the
importer the CLI uses (read, validate, write), then bad files refused (one bad record at the end;
every invoice repeated).

    .venv/bin/python -m bench.importing [N]

Prints one line per case: file size, seconds to read and parse, to validate, to write, in all (for a
refused file: the problems and the time to refuse it).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

from bench.data import ONE_REMINDER, SENDER, organisation
from bench.stack import free_port
from relance.db import Database
from relance.importing import importer
from relance.local.postgres import LocalPostgres
from relance.migrate import upgrade_async
from starter.importing import TEMPLATE_FIELDS


def _file(home: Path, name: str, organisations: list[dict], as_json: bool) -> Path:
    path = home / f"{name}.{'json' if as_json else 'yaml'}"
    data = {"organisations": organisations}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(json.dumps(data) if as_json else yaml.dump(data, Dumper=dumper, sort_keys=False),
                    encoding="utf-8")
    return path


async def _timed_import(db: Database, path: Path) -> dict:
    """Seconds per phase; `refused` holds the problem count when the file was refused."""
    figures: dict = {"file": path.name, "MB": round(path.stat().st_size / 2**20, 1)}
    began = time.perf_counter()
    try:
        raw = importer.read_file(path)
        figures["read_s"] = round(time.perf_counter() - began, 1)
        checked = []  # when writing began: reading and every check are done by then
        report = await importer.import_data(db, raw, str(path), date.today(), TEMPLATE_FIELDS,
                                            progress=lambda _: checked.append(time.perf_counter()))
        figures["validate_s"] = round(checked[0] - began - figures["read_s"], 1)
        figures["write_s"] = round(time.perf_counter() - checked[0], 1)
        figures["invoices"] = report.counts.get("invoices", 0)
    except importer.ImportRejected as exc:
        figures["refused"] = f"{len(exc.problems)} problem(s): {exc.problems[0][:80]}"
    figures["total_s"] = round(time.perf_counter() - began, 1)
    return figures


def _bad_at_the_end(org: dict) -> dict:
    bad = copy.deepcopy(org)
    bad["invoices"][-1]["amount_incl_tax"] = "1200.001"
    return bad


def _every_invoice_twice(org: dict) -> dict:
    bad = copy.deepcopy(org)
    bad["invoices"] += bad["invoices"]
    return bad


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        pg = LocalPostgres(home / "pg", port=free_port())
        pg.start()
        try:
            pg.create_database("relance")
            await upgrade_async(pg.url("relance"))
            db = Database(pg.url("relance"))
            cases = []
            for as_json in (False, True):
                kind = "json" if as_json else "yaml"
                org = organisation(f"bench-{kind}", count, "today-20", ONE_REMINDER)
                org["users"] = [{"email": SENDER}]
                cases += [
                    (f"{count} valid invoices", f"valid-{kind}", [org], as_json),
                    (f"{count} valid invoices, imported again (nothing changes)", f"valid-{kind}", [org], as_json),
                    (f"{count} invoices, the last with a bad amount", f"bad-last-{kind}",
                     [_bad_at_the_end({**org, "slug": f"bad-{kind}"})], as_json),
                    (f"{2 * count} invoices, each number twice", f"twice-{kind}",
                     [_every_invoice_twice({**org, "slug": f"twice-{kind}"})], as_json),
                ]
            for label, name, organisations, as_json in cases:
                path = _file(home, name, organisations, as_json)
                print(f"{label}: {await _timed_import(db, path)}", flush=True)
                path.unlink()
            await db.close()
        finally:
            pg.destroy()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 4_500))
    os._exit(0)
