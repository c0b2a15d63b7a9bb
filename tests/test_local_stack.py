"""`relance up`, the newcomer's command: the whole stack from PyPI wheels, the demo, the sweep; and
running it again resumes from the persisted state without duplicating anything."""

import re
import subprocess
import sys

import pytest

from tests.conftest import free_port, local_stack_env, start_up


def up(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relance.cli", "up", "--once"], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_up_brings_the_stack_and_the_demo_and_resumes_without_duplicates(tmp_path):
    env = local_stack_env(tmp_path / "home")
    first = up(env)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "imported 1 organisation(s)" in out and "10 invoices" in out
    assert "started 6 run(s) at invoice creation" in out  # paid, in payment, do-not-remind, schedule: none
    assert "6 dunning run(s)" in out
    # monthly and settled contracts are left out; of the two notices due, one has no address
    assert "renewals demo: 2 notice(s) due, 2 notice(s) started (run renewal-inspection-run:demo-" in out
    assert "2 renewal notice(s)" in out and "no_recipient" in out
    # one notice waits, blocked by its unverified sender: the README cancels it
    assert re.search(r"renewal:demo:CT-001:\S+ +blocked", out), out
    # 5 reminders (one customer has no address at all), and the day's summary of each demo agency to its staff
    assert "7 email(s) accepted" in out
    assert "agency demo/mer: 7 draft(s) in its outbox" in out and "agency demo/montagne: 2 draft(s)" in out
    assert f"Temporal UI   http://127.0.0.1:{env['RELANCE_TEMPORAL_UI_PORT']}" in out
    assert f"HTTP API      http://127.0.0.1:{env['RELANCE_API_PORT']} (ready)" in out
    assert "HTTP Request" not in first.stderr, "the readiness probe is not logged inside the summary"

    second = up(env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "demo data already loaded (organisation demo): not imported again" in second.stdout
    assert "imported 1 organisation(s)" not in second.stdout
    # The nightly jobs already ran today: shown, not run again, so the workflow list does not grow.
    [sweep_run] = re.findall(r"run (dunning-sweep-run:demo-\S+) of Schedule dunning-sweep:demo", out)
    assert "sweep demo: already run today at" in second.stdout
    # (its figures are the first start's: under load a run begun at the import may not have its row yet)
    assert f"({sweep_run} of Schedule dunning-sweep:demo): " in second.stdout, second.stdout
    assert "renewals demo: already run today at" in second.stdout
    assert "6 dunning run(s)" in second.stdout
    # One numbering: the summary names a run's step as the UI and `relance show` do.
    assert re.search(r"dunning:demo:F2026-0001 +waiting at step 4\. Deuxième relance, next at", out), out
    assert "0 email(s) accepted" in second.stdout  # nothing sent twice
    assert (tmp_path / "home" / "temporal.db").exists() and (tmp_path / "home" / "postgres").exists()


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_stops_every_process_it_started(tmp_path, stop_signal):
    import signal
    import socket
    import time

    ports = {name: free_port() for name in ("pg", "ses", "temporal", "ui", "api")}
    process = start_up(local_stack_env(tmp_path / "home", ports), "--no-demo")
    process.send_signal(getattr(signal, stop_signal))
    assert process.wait(timeout=60) == 128 + getattr(signal, stop_signal)  # as a shell reports it

    def answers(port):
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", port)) == 0

    deadline = time.monotonic() + 20
    while any(answers(p) for p in ports.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [name for name, port in ports.items() if answers(port)] == []


# When the Ctrl-C comes: in the first second (Python still importing), while initdb makes PostgreSQL's
# data directory, while the Temporal dev server starts.
MOMENTS = {"first second": None, "initdb": "initdb", "temporal start": "temporal server start-dev"}


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_ctrl_c_at_any_moment_of_up_says_one_line_and_leaves_nothing_running(tmp_path, moment):
    import os
    import signal
    import time

    from relance.local.reaper import descendants
    from tests.test_session_cleanup import alive

    ports = {name: free_port() for name in ("pg", "ses", "temporal", "ui", "api")}
    # Its own process group, which the terminal's Ctrl-C reaches as a whole.
    process = subprocess.Popen([sys.executable, "-m", "relance.cli", "up", "--no-demo"],
                               env=local_stack_env(tmp_path / "home", ports), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, process_group=0)
    seen: dict[int, int] = {}
    deadline = time.monotonic() + (1 if MOMENTS[moment] is None else 180)
    while time.monotonic() < deadline:
        seen.update(descendants(process.pid))
        if MOMENTS[moment] and MOMENTS[moment] in " ".join(alive(seen).values()):
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    else:
        assert MOMENTS[moment] is None, f"{moment} never came: {alive(seen)}"
    os.killpg(process.pid, signal.SIGINT)
    stop_deadline = time.monotonic() + 120
    while process.poll() is None:  # what it starts while stopping counts too
        seen.update(descendants(process.pid))
        if time.monotonic() > stop_deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"relance up still running 120 s after Ctrl-C at {moment}: {alive(seen)}")
        time.sleep(0.05)
    out, err = process.communicate()

    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("relance up: "), err
    deadline = time.monotonic() + 20
    while alive(seen) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive(seen) == {}


def test_a_stop_signal_whose_interrupt_was_lost_still_stops_up():
    """Native code running as the signal came can swallow the handler's KeyboardInterrupt: the signal
    it noted still stops the command, and what was under way is cancelled (its clean-up runs)."""
    import asyncio
    import signal

    from relance.cli.stack import _StopSignals, _until_stopped

    signals, cleaned_up = _StopSignals(), []

    async def stack_running():
        asyncio.get_running_loop().call_later(0.2, setattr, signals, "received", signal.SIGINT)
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.append(True)

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(_until_stopped(signals, stack_running()))
    assert cleaned_up == [True]
