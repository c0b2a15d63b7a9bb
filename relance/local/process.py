"""Child processes of the local stack: each in its own process group, so a Ctrl-C in the terminal
reaches only `relance up`, which then stops them in order."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def spawn(command: list[str], log_file: Path | None, env: dict | None = None) -> subprocess.Popen:
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                process_group=0, env=env)
    finally:
        if log_file:
            out.close()


def running(process: subprocess.Popen | None) -> bool:
    return process is not None and process.poll() is None


def stop(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """SIGTERM lets a service shut down cleanly (SQLite, running activities); SIGKILL if it hangs."""
    if not running(process):
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
