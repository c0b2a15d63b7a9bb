"""The fault suite, small: a few dozen overdue invoices on two worker processes, two SIGKILLs of one of
them at a time, a Temporal and a PostgreSQL restart, 30 % of sends throttled by SES. Every invoice gets
exactly one reminder, as SES's own record shows (`make chaos` runs the same with 1,000 invoices and five
kills)."""

import json
import subprocess
import sys

import pytest

from relance.config import PROJECT_ROOT


@pytest.mark.slow
def test_faults_leave_no_invoice_unreminded_and_none_reminded_twice(tmp_path):
    out = tmp_path / "chaos.json"
    subprocess.run([sys.executable, "-m", "bench.chaos", "--n", "36", "--kills", "2", "--out", str(out)],
                   cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=600)
    figures = json.loads(out.read_text())
    assert (figures["duplicates"], figures["never_reminded"]) == (0, 0), figures
    assert figures["runs_completed"] == figures["runs_expected"] == 36
    assert figures["emails_per_invoice"] == {"1": 36}
    assert figures["uncertain_left"] == 0
    assert figures["workers"] == 2
    assert sum(f["fault"].startswith("kill worker ") for f in figures["faults"]) == 2
    assert figures["throttled_calls"] > 0
