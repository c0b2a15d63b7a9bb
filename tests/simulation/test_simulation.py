"""Scenario simulation ("Simuler"): the scenario walked on demand for an internal contact."""

from sqlalchemy import func
from sqlmodel import select

from models import DunningRun, RunEvent, Task
from starter.simulation import start_simulation
from tests import factories as f
from workflows.simulation import ScenarioSimulationWorkflow


async def test_simulation_step_by_step_for_an_internal_contact(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice()]))
    handle = await start_simulation(stack.client, stack.db, stack.task_queue, stack.slug, f.SENDER)
    reports = [await handle.execute_update(ScenarioSimulationWorkflow.execute_next) for _ in range(6)]
    assert [r.outcome for r in reports] == ["sent", "sent", "skipped_pause", "sent", "skipped_pause",
                                            "task_not_created"]
    messages = stack.sent()
    assert [m["destinations"]["to"] for m in messages] == [[f.SENDER]] * 3
    assert "[[!Number]]" in messages[0]["subject"] and "[[!DueDate]]" in messages[0]["body"]
    assert "Claire Martin" in messages[0]["body"]
    result = await handle.result()
    assert result.next_position is None and len(result.reports) == 6
    assert (await stack.keywords(handle))["RelanceState"] == "ended"  # ops see it like every walk
    async with stack.db.session() as session:
        for table in (DunningRun, RunEvent, Task):
            assert (await session.exec(select(func.count()).select_from(table))).one() == 0


async def test_simulation_stops_on_request(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org())
    handle = await start_simulation(stack.client, stack.db, stack.task_queue, stack.slug, f.SENDER)
    await handle.execute_update(ScenarioSimulationWorkflow.execute_next)
    await handle.signal(ScenarioSimulationWorkflow.stop)
    result = await handle.result()
    assert result.stopped and len(result.reports) == 1 and len(stack.sent()) == 1
