"""Histories of representative runs (tests/histories/, refreshed with `python -m tests.histories.record`)
replayed against today's workflow code: a change that breaks determinism fails here, before it
reaches running workflows. Intended changes go behind workflow.patched(...)."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from relance.temporal.client import DATA_CONVERTER
from worker import PASSED_THROUGH, STRICT, WORKFLOWS, Sandbox

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_there():
    assert {p.stem for p in HISTORIES} >= {"completed_default_scenario", "cancelled_by_signal", "paid_mid_run",
                                           "held_then_resumed", "sweep", "simulation", "renewal_inspection",
                                           "renewal_notice", "webhook_delivery_failed", "marketing_removed",
                                           "marketing_campaign", "pipeline_events", "pipeline_rules",
                                           "pipeline_host_call", "agency_drafting", "agency_send_all"}


@pytest.mark.parametrize("sandbox", [STRICT, PASSED_THROUGH], ids=["strict", "passed_through"])
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays_deterministically(path, sandbox):
    """In the sandbox the tests run and in the one `relance worker` runs."""
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    runner = Sandbox(restrictions=sandbox)
    await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=runner).replay_workflow(history)
