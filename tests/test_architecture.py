"""The layout holds: imports only point down and no domain reaches into another (import-linter, the
contracts in pyproject.toml), and the code passes ruff. Both run from the venv, as `make test` installs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_imports_point_down_and_domains_stay_apart():
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_code_passes_ruff():
    result = run(str(BIN / "ruff"), "check", ".", "--output-format", "concise", "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
