"""What a command prints: plain lines when stdout is not a terminal (scripts, pipes and the tests read
them, so they stay as they are), Rich tables, progress bars and a status line at a terminal. Rich
writes no colour when stdout is not a terminal, nor when NO_COLOR is set (https://no-color.org)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence


def say(message: str = "") -> None:
    print(message, flush=True)


def terminal() -> bool:
    return sys.stdout.isatty()


def _console():
    from rich.console import Console

    return Console(highlight=False)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], plain: Sequence[str]) -> None:
    """The rows as a Rich table at a terminal; else the `plain` lines, as today's scripts read them."""
    if not terminal():
        for line in plain:
            say(line)
        return
    from rich.table import Table

    shown = Table(*headers, box=None, header_style="bold")
    for row in rows:
        shown.add_row(*row)
    _console().print(shown)


@contextlib.contextmanager
def status() -> Iterator[Callable[[str], None]]:
    """A line saying what a long step is doing: rewritten in place at a terminal (gone when the step
    ends), one `  … what` line per change otherwise."""
    if not terminal():
        yield lambda line: say(f"  … {line}")
        return
    with _console().status("") as shown:
        yield lambda line: shown.update(line)


@contextlib.contextmanager
def progress_bar(plain: Callable[[int, int], str]) -> Iterator[Callable[[int, int], None]]:
    """`update(done, total)`: a Rich progress bar at a terminal; else the `plain(done, total)` line
    at each update."""
    if not terminal():
        yield lambda done, total: say(plain(done, total))
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=_console()) as bar:
        task = bar.add_task("", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total or None)
