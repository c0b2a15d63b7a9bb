"""Bounces and complaints, from SES's events (the local endpoint publishes them for SES's mailbox
simulator addresses): the address goes on the suppression list with the reason, the run's timeline
says so, and the next reminder goes to the next address of the recipient chain."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowExecutionStatus

from models import Suppression, SuppressionReason
from relance.email import events
from relance.email.suppression import suppressed
from relance.local import ses as local_ses
from starter.email_events import ensure_ses_events_drain
from workflows.email_events import DRAIN_ID, DrainLoop, SesEventsDrainWorkflow, SesEventsWorkflow

BOUNCES = "bounce@simulator.amazonses.com"
TWO_REMINDERS = [
    {"kind": "email", "label": "Première relance", "offset_days": 10, "template": "first"},
    {"kind": "pause", "label": "Pause", "days": 5},
    {"kind": "email", "label": "Deuxième relance", "template": "second"},
]


def billing_contact_bounces(stack) -> dict:
    """An overdue invoice whose billing contact's address hard-bounces; the account's own address is next."""
    return stack.org(TWO_REMINDERS, accounts=[
        {"ref": "C1", "name": "Dupont SA", "email": "account@dupont.example.org",
         "contacts": [{"ref": "C1-billing", "civility": "M.", "first_name": "Jean", "last_name": "Dupont",
                       "email": BOUNCES, "billing": True}]}], invoices=[{
        "number": "F-1", "account": "C1", "invoice_date": "today-50", "due_date": "today-20",
        "amount_excl_tax": "1000.00", "amount_incl_tax": "1200.00"}])


@pytest.fixture
async def events_path(stack, settings, mailer):
    local_ses.provision_events(stack.ses_endpoint, settings.ses_configuration_set)
    await mailer.verify("compta@example.com")
    return stack


async def test_a_hard_bounce_suppresses_the_address_and_the_next_reminder_goes_down_the_chain(events_path, db):
    stack = events_path
    await stack.load(billing_contact_bounces(stack))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    drained = await stack.client.execute_workflow(SesEventsWorkflow.run, id=f"ses-events-{uuid.uuid4()}",
                                                  task_queue=stack.task_queue)
    assert drained.suppressed == 1
    async with db.session() as session:
        row = await session.get(Suppression, BOUNCES)
    assert row.reason == SuppressionReason.HARD_BOUNCE and "550 5.1.1" in row.detail
    result = await handle.result()
    assert result.emails_sent == 2
    assert [m["destinations"]["to"] for m in stack.sent()] == [[BOUNCES], ["account@dupont.example.org"]]
    bounce = [e for e in await stack.timeline() if e.kind == "delivery"]
    assert [(e.outcome, e.recipient, e.step_position) for e in bounce] == [("hard_bounce", BOUNCES, 0)]
    assert "next address of the recipient chain" in bounce[0].reason


async def test_a_complaint_stops_reminders_but_not_legal_notices(db, clean):
    event = events.SesEvent(kind="Complaint", provider_message_id="m-1", send_tag=None, recipient="ann@x.example.org",
                            occurred_at=datetime(2026, 11, 24, tzinfo=UTC), detail="abuse")
    async with db.autocommit() as session:
        assert await events.record(session, [event, event]) == [event]  # an event delivered twice counts once
        assert await suppressed(session, ["Ann@X.example.org", "bob@x.example.org"]) == {"ann@x.example.org"}
        assert await suppressed(session, ["ann@x.example.org"], legal_notice=True) == set()
        rows = (await session.exec(select(Suppression))).all()
    assert [(r.address, r.reason) for r in rows] == [("ann@x.example.org", SuppressionReason.COMPLAINT)]


async def test_one_long_lived_run_drains_the_events_and_continues_as_new_under_its_id(events_path, db):
    """Ops see one drain run in the Temporal UI, not one a minute."""
    stack = events_path
    await stack.load(billing_contact_bounces(stack))
    await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    drain = await stack.client.start_workflow(
        SesEventsDrainWorkflow.run, DrainLoop(every_seconds=60, drains_per_run=2), id=f"drain-{uuid.uuid4()}",
        task_queue=stack.task_queue)
    first_run = (await drain.describe()).run_id

    async def bounce_recorded() -> bool:
        async with db.session() as session:
            return await session.get(Suppression, BOUNCES) is not None

    async def continued_as_new() -> bool:
        return (await drain.describe()).run_id != first_run

    try:
        await stack.advance_until(bounce_recorded, step=timedelta(seconds=30), limit=20)
        await stack.advance_until(continued_as_new, step=timedelta(seconds=30), limit=20)
        assert (await drain.describe()).status == WorkflowExecutionStatus.RUNNING
    finally:
        await drain.terminate("test over")


async def test_starting_the_drain_again_keeps_the_running_one_and_takes_the_new_interval(stack):
    """On a queue no worker polls: a drain of this test must not hold SES's events another test settles by."""
    idle_queue = f"no-worker-{uuid.uuid4()}"
    first = await ensure_ses_events_drain(stack.client, idle_queue, every_seconds=60)
    try:
        again = await ensure_ses_events_drain(stack.client, idle_queue, every_seconds=15)
        assert again.id == first.id == DRAIN_ID
        assert (await again.describe()).run_id == (await first.describe()).run_id
        signalled = [e.workflow_execution_signaled_event_attributes async for e in again.fetch_history_events()
                     if e.HasField("workflow_execution_signaled_event_attributes")]
        assert [(s.signal_name, s.input.payloads[-1].data) for s in signalled][-1] == (
            "change_interval", b"15")
    finally:
        await first.terminate("test over")
