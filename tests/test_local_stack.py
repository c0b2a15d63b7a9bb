"""`relance up`, the newcomer's command: the whole stack from PyPI wheels, the demo, the sweep; and
running it again resumes from the persisted state without duplicating anything."""

import os
import subprocess
import sys

from tests.conftest import free_port


def up(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relance.cli", "up", "--once"], env=env, capture_output=True,
                          text=True, timeout=300)


def test_up_brings_the_stack_and_the_demo_and_resumes_without_duplicates(tmp_path):
    env = {
        **os.environ,
        "RELANCE_HOME": str(tmp_path / "home"),
        "RELANCE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/relance",
        "RELANCE_SES_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "RELANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "RELANCE_TEMPORAL_UI_PORT": str(free_port()),
    }
    first = up(env)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "imported 1 organisation(s)" in out and "10 invoices" in out
    assert "started 6 run(s) at invoice creation" in out  # paid, in payment, do-not-remind, schedule: none
    assert "6 dunning run(s)" in out
    assert "5 email(s) accepted" in out  # the customer without any address gets none
    assert f"Temporal UI   http://127.0.0.1:{env['RELANCE_TEMPORAL_UI_PORT']}" in out

    second = up(env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "started" not in second.stdout.split("nightly sweep")[0]
    assert "0 run(s) started" in second.stdout
    assert "6 dunning run(s)" in second.stdout
    assert "0 email(s) accepted" in second.stdout  # nothing sent twice
    assert (tmp_path / "home" / "temporal.db").exists() and (tmp_path / "home" / "postgres").exists()
