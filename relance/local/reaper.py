"""Whatever a process starts dies with it, even when it is killed with SIGKILL (Linux).

`guard()` makes the calling process a child subreaper, so that grandchildren whose parent exits
(PostgreSQL's postmaster once pg_ctl returns, a forkserver's jobs) stay in its tree instead of going
to init, and starts a watchdog in a process group of its own. The watchdog notes the guarded
process's descendants a few times a second; when the guarded process is gone, however it ended, it
freezes every descendant it noted (SIGSTOP, so none forks or escapes meanwhile), adds their own
descendants, and kills them all. A pid is only killed while its start time is the one noted, so a
pid the system reused is left alone. A parent-death signal would not do: the SDK starts the Temporal
test server itself, and pg_ctl's postmaster outlives its parent by design.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
LOOK_EVERY_SECONDS = 0.2


def guard() -> subprocess.Popen | None:
    """Start the watchdog of this process (no-op outside Linux); it ends on its own after this process."""
    if not sys.platform.startswith("linux"):
        return None
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # Its own process group: a Ctrl-C in the terminal reaches the guarded process, which cleans up,
    # while the watchdog stays to catch what is left. Its stdin is the pipe whose end says "gone".
    return subprocess.Popen([sys.executable, "-m", "relance.local.reaper", str(os.getpid())],
                            stdin=subprocess.PIPE, process_group=0)


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[19])


def _processes() -> dict[int, tuple[int, int]]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            found[int(entry.name)] = stat
    return found


def descendants(root: int, processes: dict[int, tuple[int, int]] | None = None) -> dict[int, int]:
    """{pid: start time} of every process below `root`."""
    processes = _processes() if processes is None else processes
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found[child] = processes[child][1]
                todo.append(child)
    return found


def _signal(noted: dict[int, int], signum: int) -> None:
    for pid, started in noted.items():
        if (stat := _stat(pid)) and stat[1] == started:
            try:
                os.kill(pid, signum)
            except OSError:
                pass


class Lookout:
    """The guarded process's descendants, kept up to date by reading only the processes that appeared
    since the last look: a process outside the tree never enters it (an orphan goes to its own nearest
    subreaper, and the guarded process is none of theirs), and one in it stays while the guarded
    process lives. A full scan of /proc a few times a second cost each watchdog 2 % of a core."""

    def __init__(self, guarded: int):
        self.guarded = guarded
        self.noted: dict[int, int] = {}  # descendants seen, pid -> start time (the dead ones stay)
        self.known: set[int] = set()  # the pids alive at the last look

    def look(self) -> None:
        live = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        new = {pid: stat for pid in live - self.known if (stat := _stat(pid))}
        self.known = set(live)
        while new:
            self._place(next(iter(new)), new, live)

    def _place(self, pid: int, new: dict[int, tuple[int, int]], live: set[int]) -> bool:
        """Note `pid` in the tree or not (a reused pid forgets the process that had it), its new
        ancestors first; True if it is in the tree. One whose parent just ended is looked at again
        next time, once it has its new parent."""
        parent, started = new.pop(pid)
        if parent == self.guarded or parent in self.noted or (parent in new and self._place(parent, new, live)):
            self.noted[pid] = started
            return True
        self.noted.pop(pid, None)
        if parent and parent not in live:
            self.known.discard(pid)
        return False


def watch(guarded: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    me = os.getpid()
    lookout = Lookout(guarded)
    while True:
        gone, _, _ = select.select([sys.stdin], [], [], LOOK_EVERY_SECONDS)
        if gone or os.getppid() != guarded:  # the pipe's end, or this watchdog was handed on
            break
        lookout.look()
    noted = lookout.noted
    noted.pop(me, None)
    _signal(noted, signal.SIGSTOP)
    processes = _processes()
    for pid in list(noted):
        noted.update(descendants(pid, processes))
    noted.pop(me, None)
    _signal(noted, signal.SIGKILL)


if __name__ == "__main__":
    watch(int(sys.argv[1]))
