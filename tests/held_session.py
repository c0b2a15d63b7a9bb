"""Not collected by the suite (no test_ prefix): tests/test_session_cleanup.py runs it as a pytest session
of its own, which brings every kind of server up, says so, and waits to be killed."""

import subprocess
import sys
import time

from relance.api import heavy
from tests.conftest import local_stack_env, start_up


async def test_hold(stack, dev_server, tmp_path):
    """Up: the session's PostgreSQL and SES, a time-skipping test server, a dev server, the import
    forkserver with a job, a `relance up` (its own PostgreSQL, Temporal, SES, worker and API) and a
    plain child; then wait for the kill."""
    heavy.CHILDREN.Process(target=time.sleep, args=(600,)).start()
    start_up(local_stack_env(tmp_path / "home"), "--no-demo")
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    time.sleep(1)  # the watchdog notes the session's processes five times a second
    print("HELD", flush=True)
    time.sleep(600)
