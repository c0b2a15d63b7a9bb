"""What the CLI prints: plain lines without colour when stdout is not a terminal (what scripts and the tests
read), Rich tables and a progress bar at a terminal, and no colour there either when NO_COLOR is set."""

import os
import pty
import re
import subprocess
import sys

SHOW = """
from relance.cli.output import progress_bar, table
table(["step", "reminded"], [["1", "12"], ["2", "7"]], ["  step  reminded", "  1     12", "  2     7"])
with progress_bar(lambda done, total: f"[{done} of {total}]") as update:
    for done in range(3):
        update(done, 2)
"""
COLOUR = re.compile(rb"\x1b\[(3\d|9\d)m")  # a foreground colour, as Rich writes it


def at_a_terminal(env: dict[str, str]) -> bytes:
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-c", SHOW], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out


def environment(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}, "TERM": "xterm-256color",
            **extra}


def test_piped_output_is_the_plain_lines_without_colour():
    out = subprocess.run([sys.executable, "-c", SHOW], env=environment(), capture_output=True, check=True).stdout
    assert out.decode().splitlines() == ["  step  reminded", "  1     12", "  2     7", "[0 of 2]", "[1 of 2]",
                                         "[2 of 2]"]


def test_a_terminal_gets_a_table_and_a_coloured_bar_unless_no_color():
    shown = at_a_terminal(environment())
    assert b"reminded" in shown and b"2/2" in shown and b"[1 of 2]" not in shown
    assert COLOUR.search(shown)
    assert not COLOUR.search(at_a_terminal(environment(NO_COLOR="1")))
