"""An import's memory, bounded whatever the file holds: while it runs, a thread watches the process's
resident memory and ends the process when the import has added more than MAX_IMPORT_MEMORY_BYTES to
it (its one transaction dies with its connection: nothing is written). The API runs each import in a
child process of its own (relance.api.heavy) and answers the child's end with 413; `relance import`
says why and exits. The file's size and record limits (relance.limits) keep a valid file far below
it: this is for what they cannot foresee."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from relance import limits

EXIT_CODE = 75  # how a process ended by the guard is told apart (EX_TEMPFAIL)
POLL_SECONDS = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def refusal(budget: int = limits.MAX_IMPORT_MEMORY_BYTES) -> str:
    return (f"the import needed more than {budget // 2**20} MB of memory, nothing was written: split the sync "
            "into several smaller files")


@contextmanager
def bounded(budget: int = limits.MAX_IMPORT_MEMORY_BYTES) -> Iterator[None]:
    """While inside: past `budget` bytes more than the process held on entry, the process ends."""
    ceiling, done = resident_bytes() + budget, threading.Event()

    def watch() -> None:
        while not done.wait(POLL_SECONDS):
            if resident_bytes() > ceiling:
                sys.stderr.write(refusal(budget) + "\n")
                sys.stderr.flush()
                os._exit(EXIT_CODE)

    watcher = threading.Thread(target=watch, name="import-memory-guard", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
