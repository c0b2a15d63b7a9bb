"""A test session killed with SIGKILL (a CI timeout) leaves nothing running: not its PostgreSQL (nor the
postmaster's own children), Temporal servers, SES endpoint, forkserver, `relance up` or their children."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from relance.local.reaper import Lookout, descendants

HELD = Path(__file__).with_name("held_session.py")


def alive(processes: dict[int, int]) -> dict[int, str]:
    """{pid: command} of those still running as the same process (same start time), zombies aside."""
    left = {}
    for pid, started in processes.items():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[19]) == started and fields[0] != "Z":
            left[pid] = command
    return left


@pytest.mark.slow
def test_a_killed_session_leaves_nothing_running():
    # A short folder: PostgreSQL's socket path must stay under 107 bytes, which a pytest-xdist tmp_path
    # nested three sessions deep is not.
    held = Path(tempfile.mkdtemp(prefix="held-"))
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", str(HELD), "-q", "-s", "-p", "no:cacheprovider", "-p", "no:xdist",
         f"--basetemp={held}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        for line in session.stdout:
            lines.append(line)
            if "HELD" in line:
                break
        assert "HELD" in "".join(lines), "the held session did not come up:\n" + "".join(lines)
        started = descendants(session.pid)
        commands = " ".join(alive(started).values())
        for server in ("postgres", "temporal-test-server", "temporal server start-dev", "relance.local.ses_server",
                       "relance.cli up", "forkserver", "relance.cli worker"):
            assert server in commands, f"{server} is not among the session's processes: {commands}"
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait()

    deadline = time.monotonic() + 20
    while alive(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    shutil.rmtree(held, ignore_errors=True)
    assert alive(started) == {}


def test_the_watchdog_notes_what_the_guarded_process_starts_later_and_nothing_else():
    guarded = subprocess.Popen(["sh", "-c", "sleep 60 & read more; sleep 61 & wait"], stdin=subprocess.PIPE)
    stranger = subprocess.Popen(["sleep", "62"])
    try:
        lookout = Lookout(guarded.pid)
        deadline = time.monotonic() + 10
        while len(descendants(guarded.pid)) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        lookout.look()
        assert lookout.noted == descendants(guarded.pid) and len(lookout.noted) == 1
        guarded.stdin.write(b"go\n")
        guarded.stdin.flush()
        while len(descendants(guarded.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        lookout.look()
        assert lookout.noted == descendants(guarded.pid) and len(lookout.noted) == 2
        assert stranger.pid not in lookout.noted and os.getpid() not in lookout.noted
    finally:
        for pid in descendants(guarded.pid):
            os.kill(pid, signal.SIGKILL)
        for process in (guarded, stranger):
            process.kill()
            process.wait()
