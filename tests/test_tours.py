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
- `.venv/bin/` is the running interpreter's scripts directory;
- the stack's addresses in the environment: RELANCE_* for relance, TEMPORAL_ADDRESS for the
  `temporal` CLI, RELANCE_API for the API's base URL (the blocks default it to http://127.0.0.1:8000).
"""

import re
import signal
import subprocess
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.conftest import local_stack_env, start_up

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- readme-test -->"
BLOCK = re.compile(re.escape(MARKER) + r"\s*\n```(?:sh|bash)\n(.*?)```", re.DOTALL)
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


def tours() -> list[tuple[str, list[str]]]:
    """(page, its runnable blocks) for every page that has some."""
    found = [(page.name, BLOCK.findall(page.read_text(encoding="utf-8"))) for page in pages()]
    return [(name, blocks) for name, blocks in found if blocks]


def expected_lines(block: str) -> list[re.Pattern]:
    """The output lines a block shows, as patterns (see the module's docstring)."""
    patterns = []
    for line in block.splitlines():
        shown = SHOWN.match(line.strip() if line.startswith(" ") else line)
        if not shown or shown.group(1).strip() == "…":
            continue
        pattern, text = "", shown.group(1).strip()
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
        patterns.append(re.compile(pattern))
    return patterns


def test_every_marker_is_on_a_shell_block():
    """A marker before anything but a shell block would silently run nothing."""
    for page in pages():
        text = page.read_text(encoding="utf-8")
        assert text.count(MARKER) == len(BLOCK.findall(text)), page.name
    assert sum(len(blocks) for _, blocks in tours()) >= 10


def test_a_shown_line_is_read_loosely_but_not_blindly():
    [pattern] = expected_lines("#   2026-11-27 21:53 +01:00  #6 sent by $USER to …@example.org")
    assert pattern.search("2027-07-01 09:05 +02:00 #12  sent by claire to ann@example.org")
    assert not pattern.search("2027-07-01 09:05 +02:00 #12 failed by claire to ann@example.org")


def run_tours(order: list[tuple[str, list[str]]], home: Path) -> None:
    (home / "relance").symlink_to(ROOT / "relance")
    env = local_stack_env(home / ".relance")
    env["TEMPORAL_ADDRESS"] = env["RELANCE_TEMPORAL_ADDRESS"]
    env["RELANCE_API"] = f"http://127.0.0.1:{env['RELANCE_API_PORT']}"
    stack = start_up(env, cwd=home)
    try:
        scripts = sysconfig.get_path("scripts") + "/"
        for page, blocks in order:
            for block in blocks:
                ran = subprocess.run(["bash", "-e", "-o", "pipefail", "-x", "-c", block.replace(".venv/bin/", scripts)],
                                     env=env, cwd=home, capture_output=True, text=True, timeout=300)
                shown = f"{page} block:\n{block}\nstdout:\n{ran.stdout}\nstderr:\n{ran.stderr}"
                assert ran.returncode == 0, shown
                assert "Traceback" not in ran.stdout + ran.stderr, shown
                missing = [p.pattern for p in expected_lines(block) if not p.search(ran.stdout)]
                assert not missing, f"not in the output: {missing}\n{shown}"
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=60)


@pytest.mark.parametrize("order", ["the site's order", "the reverse order"])
def test_the_tours_show_what_their_pages_say_in_any_order(order, tmp_path):
    found = tours()
    run_tours(found if order == "the site's order" else found[::-1], tmp_path)
