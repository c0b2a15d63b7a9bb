"""Whether any import file is taken or refused within the README's bounds (10 s, 300 MB): valid files of
growing size and hostile ones (an alias bomb, deep nesting, one huge string, millions of tiny values,
many small records), each imported in a process of its own as `relance import` does (without starting
runs: no Temporal), into the local embedded PostgreSQL.

    .venv/bin/python -m bench.import_bounds [SIZES...]   # invoices per valid file, default 2000 4500 9000 100000

Prints one line per case: file size, seconds (the process's, its start included, then the import's
alone), the process's peak RSS, and what the import answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import yaml

from bench.data import ONE_REMINDER, organisation
from bench.stack import free_port
from relance.local.postgres import LocalPostgres
from relance.migrate import upgrade_async


def _yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def _valid(count: int, slug: str) -> str:
    org = organisation(slug, count, "today-20", ONE_REMINDER)
    return _yaml({"organisations": [org]})


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\norganisations: *a9\n"


def _many_records(count: int) -> str:
    org = organisation("many", 0, "today-20", ONE_REMINDER)
    org["accounts"] = [{"ref": f"A{i}", "name": "x"} for i in range(count)]
    return _yaml({"organisations": [org]})


def cases(sizes: list[int]) -> Iterator[tuple[str, str, Callable[[], str]]]:
    """(label, file name, its text when called)."""
    yield from ((f"valid, {n} invoices", f"valid-{n}.yaml", lambda n=n: _valid(n, f"valid-{n}")) for n in sizes)
    yield from [
        ("alias bomb (10^9 values)", "bomb.yaml", _alias_bomb),
        ("deep nesting, YAML (200,000 levels)", "deep.yaml",
         lambda: "organisations: " + "[" * 200_000 + "]" * 200_000),
        ("deep nesting, JSON (200,000 levels)", "deep.json",
         lambda: '{"organisations": ' + "[" * 200_000 + "]" * 200_000 + "}"),
        ("one 19 MB string", "string.yaml",
         lambda: _yaml({"organisations": [{"slug": "s", "name": "x" * 19_000_000}]})),
        ("10 M tiny values, JSON", "tiny.json", lambda: json.dumps({"organisations": [], "x": [1] * 10_000_000})),
        ("0.9 MB string, under the size limit", "string-small.yaml",
         lambda: _yaml({"organisations": [{"slug": "s", "name": "x" * 900_000}]})),
        ("300,000 tiny values in 0.9 MB, JSON", "tiny-small.json",
         lambda: json.dumps({"organisations": [], "x": [1] * 300_000})),
        ("4,900 small accounts", "accounts.yaml", lambda: _many_records(4_900)),
        ("300,000 small accounts", "many-accounts.yaml", lambda: _many_records(300_000)),
    ]


def _measure(database_url: str, path: Path) -> dict:
    """Seconds and peak RSS of the import in a process of its own (wait4 gives that process's own)."""
    began = time.perf_counter()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(write, 1)
        os.dup2(write, 2)
        os.execv(sys.executable, [sys.executable, "-m", "bench.import_bounds", "--one", database_url, str(path)])
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - began
    last = out.strip().splitlines()[-1][:160] if out.strip() else f"exit status {status}"
    return {"MB": round(path.stat().st_size / 2**20, 1), "s": round(seconds, 1),
            "peak_MB": usage.ru_maxrss // 1024, "outcome": last}


async def _one(database_url: str, path: str) -> None:
    """In the measured process: the import as `relance import` makes it, minus starting runs."""
    from relance.db import Database
    from relance.importing import guard, importer
    from starter.importing import TEMPLATE_FIELDS

    db = Database(database_url)
    began = time.perf_counter()
    try:
        with guard.bounded():
            report = await importer.import_file(db, Path(path), date.today(), TEMPLATE_FIELDS)
        outcome = f"accepted: {report.counts.get('invoices', 0)} invoices, {report.counts.get('accounts', 0)} accounts"
    except importer.ImportRejected as exc:
        outcome = f"refused: {exc.problems[0].splitlines()[0][:140]}"
    finally:
        await db.close()
    print(f"{time.perf_counter() - began:.1f} s importing; {outcome}")


async def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        pg = LocalPostgres(home / "pg", port=free_port())
        pg.start()
        try:
            pg.create_database("relance")
            await upgrade_async(pg.url("relance"))
            for label, name, text in cases(sizes):
                path = home / name
                path.write_text(text(), encoding="utf-8")
                print(f"{label}: {_measure(pg.url('relance'), path)}", flush=True)
                path.unlink()
        finally:
            pg.destroy()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        asyncio.run(_one(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(main([int(n) for n in sys.argv[1:]] or [2000, 4500, 9000, 100_000]))
    os._exit(0)
