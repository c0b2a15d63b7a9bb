"""The documented tours work in any order and show what their pages say: each page's runnable shell
blocks run against a `relance up` of their own, the pages in the site's order and then in the reverse
order, and each block's output holds every output line the page shows.

Which blocks run: a fenced ```sh or ```bash block right after the line `<!-- readme-test -->` (an
HTML comment, invisible on the rendered page), in README.md and the pages of mkdocs.yml's nav. A
page's blocks run in the page's order, each as one `bash -e -o pipefail` script (so a block may set
variables, `R=.venv/bin/relance`). Each block must exit 0 and print no Python traceback.

What a block says you will see: a comment line indented by three spaces or more (`#   2 sent, …`) is
output; `# 1. Enrol Jean Dupont` (one space) is narration. Each output line must appear in the block's
output, read loosely: `…` stands for anything, runs of spaces for any spacing, and dates, times, zone
offsets, ports, email numbers (`#6`) and `$USER` for any value of their kind.

What the harness provides, so a block reads as a person types it:
- the working directory holds `relance/` (the repository's) and `.relance/` (the stack's home), so
  paths such as `relance/demo/template.yaml` and `.relance/scenario.yaml` resolve;
- `.venv/bin/` is the running interpreter's scripts directory, and `.venv/bin/relance` the same command
  forked from a process that has imported its libraries already (tests/cli_fork.py);
- the stack's addresses in the environment: RELANCE_* for relance, TEMPORAL_ADDRESS for the
  `temporal` CLI, RELANCE_API for the API's base URL (the blocks default it to http://127.0.0.1:8000);
- the page's webhook receiver, `relance webhook listen`, at RECEIVER; the lines a page shows after
  `<!-- receiver-shows -->` must each be among those it prints, in whatever order they came (each event
  is delivered on its own, as the page says).
"""

import re
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests import cli_fork
from tests.conftest import free_port, local_stack_env, start_up

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- readme-test -->"
BLOCK = re.compile(re.escape(MARKER) + r"\s*\n```(?:sh|bash)\n(.*?)```", re.DOTALL)
# What the page's webhook receiver (`relance webhook listen`, started for the tours) prints.
RECEIVED = re.compile(re.escape("<!-- receiver-shows -->") + r"\s*\n```\n(.*?)```", re.DOTALL)
SHOWN = re.compile(r"^#   +(\S.*)$")
# What changes from one run to the next, as the pages write it, and what it may be.
VARYING = [
    (re.compile(r"\d{4}-\d\d-\d\d"), r"\d{4}-\d\d-\d\d"),
    (re.compile(r"\d\d:\d\d"), r"\d\d:\d\d"),
    (re.compile(r"[+-]\d\d:\d\d"), r"[+-]\d\d:\d\d"),
    (re.compile(r"127\.0\.0\.1:\d+"), r"127\.0\.0\.1:\d+"),
    (re.compile(r"#\d+(?=\s)"), r"#\d+"),
    (re.compile(r"\$USER"), r"\S+"),
]


def pages() -> list[Path]:
    """README.md, then the site's pages in the order of its navigation."""
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    files = [next(iter(entry.values())) for entry in nav]
    return [ROOT / "README.md"] + [ROOT / "docs" / name for name in files if (ROOT / "docs" / name).exists()]


@dataclass
class Tour:
    page: str
    blocks: list[str]
    received: list[str]  # the lines the webhook receiver prints, as the page shows them


def tours() -> list[Tour]:
    """Every page that has runnable blocks, with what it says the receiver prints."""
    found = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        if blocks := BLOCK.findall(text):
            received = [line for shown in RECEIVED.findall(text) for line in shown.splitlines() if line.strip()]
            found.append(Tour(page.name, blocks, received))
    return found


def expected_lines(block: str) -> list[re.Pattern]:
    """The output lines a block shows, as patterns (see the module's docstring)."""
    return [loosely(shown.group(1)) for line in block.splitlines()
            if (shown := SHOWN.match(line)) and shown.group(1).strip() != "…"]


def loosely(line: str) -> re.Pattern:
    """A line as a page shows it, as a pattern: `…`, spacing and varying values read loosely."""
    pattern, text = "", line.strip()
    while text:
        if text.startswith("…"):
            pattern, text = pattern + ".*?", text[1:]
            continue
        if text[0].isspace():
            pattern, text = pattern + r"\s+", text.lstrip()
            continue
        varying = next(((m, regex) for rx, regex in VARYING if (m := rx.match(text))), None)
        if varying:
            pattern, text = pattern + varying[1], text[varying[0].end():]
            continue
        pattern, text = pattern + re.escape(text[0]), text[1:]
    return re.compile(pattern)


def test_every_marker_is_on_a_shell_block():
    """A marker before anything but a shell block would silently run nothing."""
    for page in pages():
        text = page.read_text(encoding="utf-8")
        assert text.count(MARKER) == len(BLOCK.findall(text)), page.name
    assert sum(len(tour.blocks) for tour in tours()) >= 10
    assert any(tour.received for tour in tours())


def test_each_line_the_receiver_should_show_needs_a_printed_line_of_its_own():
    sent, ended = loosely("reminder.sent  msg_…  verified yes"), loosely("run.ended  msg_…  verified yes")
    assert _each_among([sent, ended], ["run.ended  msg_2  verified yes", "reminder.sent  msg_1  verified yes"])
    assert not _each_among([sent, sent], ["reminder.sent  msg_1  verified yes"])
    assert not _each_among([sent], ["reminder.sent  msg_1  verified no"])


def test_a_shown_line_is_read_loosely_but_not_blindly():
    [pattern] = expected_lines("#   2026-11-27 21:53 +01:00  #6 sent by $USER to …@example.org")
    assert pattern.search("2027-07-01 09:05 +02:00 #12  sent by claire to ann@example.org")
    assert not pattern.search("2027-07-01 09:05 +02:00 #12 failed by claire to ann@example.org")


def run_tours(order: list[Tour], home: Path) -> None:
    (home / "relance").symlink_to(ROOT / "relance")
    env = local_stack_env(home / ".relance")
    env["TEMPORAL_ADDRESS"] = env["RELANCE_TEMPORAL_ADDRESS"]
    env["RELANCE_API"] = f"http://127.0.0.1:{env['RELANCE_API_PORT']}"
    stack = start_up(env, cwd=home)
    receiver_port = free_port()
    env["RECEIVER"] = f"http://127.0.0.1:{receiver_port}/"
    receiver = Receiver(env, receiver_port)
    try:
        scripts, relance = sysconfig.get_path("scripts") + "/", cli_fork.shim_directory(env) + "/relance"
        for tour in order:
            for block in tour.blocks:
                typed = block.replace(".venv/bin/relance", relance).replace(".venv/bin/", scripts)
                ran = subprocess.run(["bash", "-e", "-o", "pipefail", "-x", "-c", typed],
                                     env=env, cwd=home, capture_output=True, text=True, timeout=300)
                shown = f"{tour.page} block:\n{block}\nstdout:\n{ran.stdout}\nstderr:\n{ran.stderr}"
                assert ran.returncode == 0, shown
                assert "Traceback" not in ran.stdout + ran.stderr, shown
                missing = [p.pattern for p in expected_lines(block) if not p.search(ran.stdout)]
                assert not missing, f"not in the output: {missing}\n{shown}"
            receiver.shows(tour.received, tour.page)
    finally:
        receiver.stop()
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=60)


class Receiver:
    """The page's second terminal: `relance webhook listen`, its lines collected as they come."""

    def __init__(self, env: dict[str, str], port: int):
        self.process = subprocess.Popen([sys.executable, "-m", "relance.cli", "webhook", "listen", "--port", str(port)],
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")), daemon=True).start()

    def shows(self, expected: list[str], page: str, within: float = 60) -> None:
        """Each expected line is printed, each by a line of its own, within `within` seconds."""
        patterns = [loosely(line) for line in expected]
        deadline = time.monotonic() + within
        while not _each_among(patterns, self.lines) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _each_among(patterns, self.lines), f"{page}: the receiver printed {self.lines}, not {expected}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _each_among(patterns: list[re.Pattern], lines: list[str]) -> bool:
    remaining = list(lines)
    for pattern in patterns:
        found = next((line for line in remaining if pattern.search(line)), None)
        if found is None:
            return False
        remaining.remove(found)
    return True


@pytest.mark.slow
@pytest.mark.parametrize("order", ["the site's order", "the reverse order"])
def test_the_tours_show_what_their_pages_say_in_any_order(order, tmp_path):
    found = tours()
    run_tours(found if order == "the site's order" else found[::-1], tmp_path)
