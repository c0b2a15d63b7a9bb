"""What a person does wrong at the terminal gets one sentence and a non-zero exit, never a Python
traceback (unless --debug); a closed pipe is not an error."""

import asyncio
import subprocess
import sys

import pytest

from tests import factories as f
from tests.conftest import free_port
from tests.test_cli import relance


@pytest.fixture
async def loaded(dev_stack, mailer, tmp_path):
    _, _, env = dev_stack
    await mailer.verify(f.SENDER)
    organisation = f.org(slug="errs", invoices=[f.invoice()])
    (tmp_path / "org.json").write_text(__import__("json").dumps({"organisations": [organisation]}))
    assert (await relance(env, "import", str(tmp_path / "org.json"))).returncode == 0
    return env, tmp_path


MISTAKES = {
    "unknown organisation": (["show", "nope", "F-1"], "nope"),
    "unknown invoice": (["pay", "errs", "NOPE", "10", "--ref", "X"], "NOPE"),
    "unknown invoice to preview": (["preview", "errs", "NOPE"], "NOPE"),
    "unknown contract": (["renewal", "show", "errs", "CT-NOPE"], "CT-NOPE"),
    "missing file": (["import", "/nonexistent/org.yaml"], "/nonexistent/org.yaml"),
    "a directory": (["import", "/tmp"], "/tmp"),
    "missing template file": (["template", "save", "errs", "/nonexistent/t.yaml"], "/nonexistent/t.yaml"),
    "no simulation to advance": (["simulate", "next", "errs", "--as", f.SENDER], "simulat"),
    "no simulation to stop": (["simulate", "stop", "errs", "--as", f.SENDER], "simulat"),
}


@pytest.mark.parametrize("mistake", list(MISTAKES), ids=list(MISTAKES))
async def test_a_mistake_gets_a_sentence_and_no_traceback(loaded, mistake):
    env, _ = loaded
    args, named = MISTAKES[mistake]
    result = await relance(env, *args)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert named in output, output


async def test_unreachable_services_are_named_not_dumped(loaded):
    env, _ = loaded
    no_database = {**env, "RELANCE_DATABASE_URL": f"postgresql+asyncpg://relance@127.0.0.1:{free_port()}/relance"}
    result = await relance(no_database, "show", "errs", "F-1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot reach PostgreSQL" in result.stderr
    no_temporal = {**env, "RELANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    result = await relance(no_temporal, "cancel", "errs", "F-1", "--reason", "x", "--by", "y")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot reach Temporal" in result.stderr


async def test_a_negative_forecast_horizon_is_refused(loaded):
    env, _ = loaded
    result = await relance(env, "forecast", "errs", "--days", "-5")
    assert result.returncode == 2 and result.stdout == "", result.stdout
    assert "Invalid value for '--days': '-5' is not a number of days from 1 to 366" in result.stderr


async def test_debug_shows_the_traceback(loaded):
    env, _ = loaded
    result = await relance(env, "--debug", "import", "/nonexistent/org.yaml")
    assert result.returncode != 0 and "Traceback" in result.stderr


async def test_a_closed_pipe_ends_quietly(loaded):
    """As `relance renewal upcoming … | head` does: the reader has gone before the command writes."""
    env, _ = loaded

    def run_with_reader_gone() -> tuple[int, str]:
        child = subprocess.Popen([sys.executable, "-m", "relance.cli", "renewal", "upcoming", "errs"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        child.stdout.close()
        return child.wait(timeout=120), child.stderr.read()

    code, stderr = await asyncio.to_thread(run_with_reader_gone)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert code == 0


async def test_the_worker_waits_for_temporal_and_says_so(tmp_path):
    """Started before Temporal (or while it restarts), the worker retries, logging each attempt, and a
    SIGTERM still stops it cleanly."""
    import os
    import signal

    env = {**os.environ, "RELANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "RELANCE_LOG_FORMAT": "json"}
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "relance.cli", "worker"], env=env, stdout=out, stderr=out)
        try:
            for _ in range(100):
                if log.read_text().count("temporal not reachable, retrying") >= 2:
                    break
                await asyncio.sleep(0.3)
            assert worker.poll() is None, log.read_text()
        finally:
            worker.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(worker.wait, 30)
    text = log.read_text()
    assert text.count("temporal not reachable, retrying") >= 2 and '"attempt": 2' in text
    assert code == 0 and "Traceback" not in text


@pytest.mark.slow
async def test_a_sweep_waits_out_a_temporal_restart_and_prints_the_true_count(db, mailer, settings, clean, tmp_path,
                                                                            monkeypatch):
    """Temporal stopped and started again while `relance sweep` waits for its job: the command says it is
    waiting, then prints how many runs were started, and no traceback."""
    import os
    from dataclasses import replace

    import activities.dunning as sweep_module
    from relance.local.temporal import LocalTemporal
    from relance.temporal.client import connect
    from worker import build_worker

    real_start = sweep_module.start_dunning_run

    async def slow_start(*args):
        await asyncio.sleep(0.5)
        return await real_start(*args)

    monkeypatch.setattr(sweep_module, "start_dunning_run", slow_start)
    monkeypatch.setattr(sweep_module, "START_CONCURRENCY", 1)
    server = LocalTemporal(tmp_path / "temporal.db", port=free_port(), ui_port=free_port(), log_file=tmp_path / "log")
    server.start()
    await server.wait_ready()
    try:
        client = await connect(replace(settings, temporal_address=server.address))
        await mailer.verify(f.SENDER)
        await f.load(db, f.org(slug="restart", invoices=[f.invoice(f"F-{n}") for n in range(1, 13)]), f.date.today())
        env = {**os.environ, "RELANCE_DATABASE_URL": settings.database_url, "RELANCE_TEMPORAL_ADDRESS": server.address,
               "RELANCE_TASK_QUEUE": "restart", "RELANCE_SES_ENDPOINT": settings.ses_endpoint}
        async with build_worker(client, "restart", db, mailer):
            sweep = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "relance.cli", "sweep", "--org", "restart", env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            lines = []
            while not any("started" in line and "examined" in line for line in lines):
                lines.append((await asyncio.wait_for(sweep.stdout.readline(), 60)).decode())
            server.stop()
            await asyncio.sleep(3)
            server.start()
            await server.wait_ready()
            rest, _ = await asyncio.wait_for(sweep.communicate(), 240)
    finally:
        server.stop()
    output = "".join(lines) + rest.decode()
    assert sweep.returncode == 0, output
    assert "Traceback" not in output
    assert "sweep restart: 12 invoice(s) without their run, 12 run(s) started" in output, output
