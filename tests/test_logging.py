"""Workflow-side log records, a failed workflow task's traceback included, are printed whole in both
log formats: never a `--- Logging error ---` from inside the sandbox burying the real message."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_a_failed_workflow_task_is_logged_with_its_message(log_format):
    run = subprocess.run([sys.executable, "-m", "tests.sandbox_logging", log_format], capture_output=True,
                         text=True, timeout=120)
    output = run.stdout + run.stderr
    assert "a warning from the workflow" in output
    assert "the real message" in output
    assert "Logging error" not in output and "RestrictedWorkflowAccessError" not in output, output
