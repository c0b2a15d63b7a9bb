"""The README, followed in order, works: its runnable shell blocks run against the local stack.

Which blocks run: a fenced ```sh or ```bash block right after the line `<!-- readme-test -->` (an
HTML comment, invisible on the rendered page). The blocks run in the order of the page, each as one
`bash -e -o pipefail` script (so a block may set variables, `R=.venv/bin/relance`), against one
`relance up` started for the test, with its state in a temporary RELANCE_HOME and free ports. `relance
up --once` cannot serve, as it stops the stack after its summary: the test starts `relance up` and
stops it with SIGTERM at the end. Each block must exit 0 and print no Python traceback.

What the harness provides, so a block reads as a person types it:
- the working directory holds `relance/` (the repository's) and `.relance/` (the stack's home), so
  paths such as `relance/demo/template.yaml` and `.relance/scenario.yaml` resolve;
- `.venv/bin/` is the running interpreter's scripts directory;
- the stack's addresses in the environment: RELANCE_* for relance, TEMPORAL_ADDRESS for the
  `temporal` CLI;
- for HTTP API blocks (`curl`), RELANCE_API, the API's base URL (the README's blocks default it to
  http://127.0.0.1:8000 and make their own key).
"""

import re
import signal
import subprocess
import sysconfig
from pathlib import Path

from tests.conftest import local_stack_env, start_up

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- readme-test -->"
BLOCK = re.compile(re.escape(MARKER) + r"\s*\n```(?:sh|bash)\n(.*?)```", re.DOTALL)


def runnable_blocks(readme: str) -> list[str]:
    return BLOCK.findall(readme)


def test_every_marker_is_on_a_shell_block():
    """A marker before anything but a shell block would silently run nothing."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(MARKER) == len(runnable_blocks(readme)) >= 5


def test_the_readme_shell_blocks_run_in_order_against_the_local_stack(tmp_path):
    (tmp_path / "relance").symlink_to(ROOT / "relance")
    env = local_stack_env(tmp_path / ".relance")
    env["TEMPORAL_ADDRESS"] = env["RELANCE_TEMPORAL_ADDRESS"]
    env["RELANCE_API"] = f"http://127.0.0.1:{env['RELANCE_API_PORT']}"
    stack = start_up(env, cwd=tmp_path)
    try:
        scripts = sysconfig.get_path("scripts") + "/"
        for block in runnable_blocks((ROOT / "README.md").read_text(encoding="utf-8")):
            script = block.replace(".venv/bin/", scripts)
            ran = subprocess.run(["bash", "-e", "-o", "pipefail", "-x", "-c", script], env=env, cwd=tmp_path,
                                 capture_output=True, text=True, timeout=300)
            shown = f"README block:\n{block}\nstdout:\n{ran.stdout}\nstderr:\n{ran.stderr}"
            assert ran.returncode == 0, shown
            assert "Traceback" not in ran.stdout + ran.stderr, shown
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=60)
