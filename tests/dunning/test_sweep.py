"""The nightly sweep starts one run per overdue invoice, once, whatever happens."""

import asyncio
import uuid
from datetime import timedelta

from sqlmodel import select

from models import DunningRun
from relance.dunning.ids import dunning_workflow_id
from relance.nightly import SweepRequest
from tests import factories as f
from workflows.dunning import DunningSweepWorkflow

OVERDUE = ["F-1", "F-2", "F-3"]


def invoices():
    return [
        f.invoice("F-1", "today-1"),
        f.invoice("F-2", "today-30"),
        f.invoice("F-3", "today-60", payments=[{"ref": "P1", "amount": "100.00", "paid_on": "today-5"}]),
        f.invoice("F-4", "today"),  # due today: not overdue yet
        f.invoice("F-5", "today+3"),
        f.invoice("F-6", "today-10", status="paid"),
        f.invoice("F-7", "today-10", status="in_payment"),
        f.invoice("F-8", "today-10", do_not_remind=True),
        f.invoice("F-9", "today-10", payments=[{"ref": "P1", "amount": "1200.00", "paid_on": "today-5"}]),
    ]


async def sweep(stack):
    return await stack.client.execute_workflow(
        DunningSweepWorkflow.run, SweepRequest(stack.slug), id=f"sweep-{uuid.uuid4()}", task_queue=stack.task_queue)


async def started_runs(stack, expected: int = 0) -> list[str]:
    """The runs recorded; a run writes its row once started, so wait (a minute at most) for `expected`."""
    for _ in range(600):
        async with stack.db.session() as session:
            runs = sorted((await session.exec(select(DunningRun.workflow_id))).all())
        if len(runs) >= expected:
            return runs
        await asyncio.sleep(0.1)
    return runs


async def test_sweep_twice_starts_each_overdue_invoice_once(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=invoices()))
    first = await sweep(stack)
    assert (first.examined, first.started) == (3, 3)
    await stack.advance_until(lambda: len(stack.sent()) >= 2, step=timedelta(minutes=1))
    run_ids = {n: (await stack.describe(dunning_workflow_id(stack.slug, n))).execution.run_id for n in OVERDUE}
    second = await sweep(stack)
    assert (second.examined, second.started) == (0, 0)
    assert await started_runs(stack) == sorted(dunning_workflow_id(stack.slug, n) for n in OVERDUE)
    for number, run_id in run_ids.items():
        assert (await stack.describe(dunning_workflow_id(stack.slug, number))).execution.run_id == run_id


async def test_finished_run_is_never_restarted(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    await sweep(stack)
    workflow_id = dunning_workflow_id(stack.slug, "F-1")
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    first_run = (await stack.describe(workflow_id)).execution.run_id
    # Even if the database forgot the run, Temporal refuses a second one for the same id.
    async with stack.db.session() as session:
        await session.exec(DunningRun.__table__.update().values(ended_at=None))
    assert await stack.start() is None
    assert (await stack.describe(workflow_id)).execution.run_id == first_run
    assert len(stack.sent()) == 1


async def test_sweep_does_nothing_while_dunning_is_off(stack):
    await stack.load(stack.org(dunning={"enabled": False}, invoices=invoices()))
    result = await sweep(stack)
    assert result.started == 0
    assert await started_runs(stack) == []


async def test_a_page_retried_after_a_failure_counts_what_its_first_attempt_started(dev_stack, db, mailer,
                                                                                    monkeypatch):
    """On the dev server: the first attempt of the second page starts F-3 then fails on F-4 (Temporal
    unreachable, as when it restarts); the retry goes over the same page, and F-3, started by the
    attempt that failed, still counts as started: the total printed is the true one."""
    from temporalio import activity

    import activities.dunning as sweep_module

    client, task_queue, _ = dev_stack
    real_start = sweep_module.start_dunning_run
    calls = []

    async def flaky_start(client_, queue, org, number, customer):
        calls.append(number)
        if number == "F-4" and activity.info().attempt == 1:
            raise ConnectionError("Temporal frontend unreachable")
        return await real_start(client_, queue, org, number, customer)

    monkeypatch.setattr(sweep_module, "start_dunning_run", flaky_start)
    monkeypatch.setattr(sweep_module, "PAGE_SIZE", 2)
    monkeypatch.setattr(sweep_module, "START_CONCURRENCY", 1)
    slug = f"resume-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    await f.load(db, f.org(slug=slug, invoices=[f.invoice(f"F-{n}") for n in range(1, 6)]), f.date.today())
    result = await client.execute_workflow(DunningSweepWorkflow.run, SweepRequest(slug), id=f"sweep-{slug}",
                                           task_queue=task_queue)
    assert calls == ["F-1", "F-2", "F-3", "F-4", "F-3", "F-4", "F-5"]
    assert (result.examined, result.started, result.already_known) == (5, 5, 0)


async def test_a_record_temporal_refuses_is_skipped_counted_and_named_and_the_rest_start(dev_stack, db, mailer):
    """An invoice number too long for a workflow id (written behind the importer's back, as an old
    import or another program could): the sweep skips it, says so, and starts the others."""
    from sqlalchemy import update

    from models import Invoice

    client, task_queue, _ = dev_stack
    slug = f"poison-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    await f.load(db, f.org(slug=slug, invoices=[f.invoice(f"F-{n}") for n in range(1, 4)]), f.date.today())
    async with db.session() as session:
        await session.exec(update(Invoice).where(Invoice.number == "F-2").values(number="X" * 2000))
    result = await client.execute_workflow(DunningSweepWorkflow.run, SweepRequest(slug), id=f"sweep-{slug}",
                                           task_queue=task_queue)
    assert (result.examined, result.started, result.skipped) == (3, 2, 1)
    assert result.problems[0].startswith("invoice 'XXXX")


async def test_when_runs_start_at_creation_the_sweep_starts_any_open_invoice_left_without_one(stack):
    """An import interrupted while it started runs (Ctrl-C) left invoices not yet due without theirs:
    the sweep starts them, so their steps before the due date still go."""
    await stack.load(stack.org(dunning={"apply_to_new_invoices": True}, invoices=invoices()))
    result = await sweep(stack)
    assert (result.examined, result.started) == (5, 5)  # F-1..F-5: overdue, due today, due later
    assert await started_runs(stack, 5) == sorted(dunning_workflow_id(stack.slug, f"F-{n}") for n in range(1, 6))
