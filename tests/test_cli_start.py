"""`relance --help` answers at once: reading the commands imports none of the costly libraries (Temporal's
SDK, SQLAlchemy, boto3, argon2 and its hash at import); each command imports what it uses when it runs.
bench/cli_start.py measures the time."""

import json
import subprocess
import sys

import pytest

COSTLY = ("temporalio", "sqlalchemy", "sqlmodel", "boto3", "botocore", "argon2", "structlog", "models", "pydantic",
          "aiohttp", "fastapi", "relance.staff", "rich")

# The command, in a fresh interpreter, then the modules it left loaded (on stderr, after its answer).
RUN_AND_LIST = ("import json, sys\nfrom relance.cli.main import run\ncode = run(sys.argv[1:])\n"
                "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)")


def loaded_by(*args: str) -> tuple[str, set[str]]:
    result = subprocess.run([sys.executable, "-c", RUN_AND_LIST, *args], capture_output=True, text=True, timeout=60)
    answer = json.loads(result.stderr.strip().splitlines()[-1])
    assert answer["code"] == 0, result.stdout + result.stderr
    return result.stdout, {name.split(".")[0] if not name.startswith("relance.") else name
                           for name in answer["modules"]}


@pytest.mark.parametrize("args", [["--help"], ["pipeline", "event", "--help"], ["marketing", "campaign", "--help"],
                                  ["webhook", "add", "--help"]], ids=" ".join)
def test_help_imports_nothing_costly(args):
    shown, modules = loaded_by(*args)
    assert "Usage: relance" in shown
    assert [name for name in COSTLY if name in modules] == []


def test_help_lists_every_command_group():
    shown, _ = loaded_by("--help")
    for command in ("up", "import", "sweep", "show", "pay", "scenario", "renewal", "customer", "marketing", "pipeline",
                    "report", "webhook", "agency", "document", "outbox", "settings", "tasks", "apikey", "version"):
        assert f"\n  {command} " in shown, f"{command} missing from:\n{shown}"
