"""Every way a dunning run ends, each recorded in the database and in the workflow result."""

from datetime import timedelta

import pytest

from relance.dunning.types import ExitReason
from relance.scenario.plan import RunState
from relance.temporal import search_attributes as sa
from starter.dunning import cancel_reminders, record_payment
from tests import factories as f
from workflows.dunning import InvoiceDunningWorkflow


@pytest.mark.parametrize(
    ("invoice_fields", "reason"),
    [
        ({"status": "paid"}, ExitReason.PAID),
        ({"payments": [{"ref": "P1", "amount": "1200.00", "paid_on": "today-1"}]}, ExitReason.PAID),
        ({"status": "in_payment"}, ExitReason.IN_PAYMENT),
        ({"do_not_remind": True}, ExitReason.DO_NOT_REMIND),
        ({"payment_schedule": True}, ExitReason.PAYMENT_SCHEDULE),
        ({"status": "cancelled"}, ExitReason.INVOICE_CANCELLED),
    ],
)
async def test_invoice_not_to_remind_exits_before_the_step_without_email(stack, invoice_fields, reason):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice(**invoice_fields)]))
    handle = await stack.start()
    result = await handle.result()
    assert result.reason == reason
    assert stack.sent() == []
    events = await stack.timeline()
    assert [(e.kind, e.reason) for e in events] == [("exit", reason)]


async def test_completed_run_records_sent_email_with_provider_id(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    handle = await stack.start()
    result = await handle.result()
    assert (result.reason, result.emails_sent) == (ExitReason.COMPLETED, 1)
    [sent] = await stack.emails()
    [message] = stack.sent()
    assert sent.provider_message_id == message["message_id"]
    assert sent.recipient == "billing@dupont.example.org"
    history = await handle.fetch_history()
    queues = {e.activity_task_scheduled_event_attributes.activity_type.name:
              e.activity_task_scheduled_event_attributes.task_queue.name
              for e in history.events if e.HasField("activity_task_scheduled_event_attributes")}
    assert queues["execute_step"] == f"{stack.task_queue}-email"  # the SES-rate-limited queue
    attributes = await stack.keywords(handle)
    assert attributes[sa.ORGANISATION.name] == stack.slug
    assert attributes[sa.INVOICE_NUMBER.name] == "F-1"
    assert attributes[sa.CUSTOMER.name] == "C1"
    assert attributes[sa.STATE.name] == RunState.ENDED
    assert attributes[sa.EXIT_REASON.name] == ExitReason.COMPLETED


async def test_payment_recorded_mid_run_wakes_the_run_which_exits_at_once(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice()]))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    paid_at = await stack.now()
    due = await record_payment(stack.client, stack.db, stack.slug, "F-1", f.Decimal("1200.00"), "VIR-1", paid_at.date())
    assert due == 0
    result = await handle.result()
    assert result.reason == ExitReason.PAID
    attributes = await stack.keywords(handle)
    # Ops filter on why it ended; the step shown is the one it did, not the second it was waiting for.
    assert attributes[sa.EXIT_REASON.name] == ExitReason.PAID
    assert attributes[sa.CURRENT_STEP.name] == "2. Première relance"  # the Rappel before the due date was skipped
    exit_event = (await stack.timeline())[-1]
    # Exited on the signal, not 20 days later at the second reminder.
    assert exit_event.occurred_at - paid_at < timedelta(hours=1)
    assert len(stack.sent()) == 1


async def test_cancel_signal_stops_reminders_and_records_who(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice()]))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    assert await cancel_reminders(stack.client, stack.slug, "F-1", "customer called, pays Friday", "claire")
    result = await handle.result()
    assert result.reason == ExitReason.CANCELLED
    assert result.detail == "by claire: customer called, pays Friday"
    assert len(stack.sent()) == 1
    assert (await stack.timeline())[-1].reason == ExitReason.CANCELLED
    assert (await stack.keywords(handle))[sa.EXIT_REASON.name] == ExitReason.CANCELLED


async def test_cancel_of_an_invoice_without_run_says_so(stack):
    assert not await cancel_reminders(stack.client, stack.slug, "NOPE", "x", "y")


async def test_sender_never_verified_blocks_then_ends_recorded(stack):
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    handle = await stack.start()
    status = await stack.advance_until(
        lambda: _state_is(handle, RunState.BLOCKED), step=timedelta(minutes=10))
    assert status.next_at is not None
    result = await handle.result()
    assert result.reason == ExitReason.SENDER_NOT_VERIFIED
    assert stack.sent() == []
    refusals = await stack.emails(outcome="not_sent")
    assert refusals and all(e.reason == "sender_not_verified" for e in refusals)
    assert len(refusals) >= 30  # tried daily, every refusal visible


async def test_sender_verified_later_resumes_on_signal(stack):
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    handle = await stack.start()
    await stack.advance_until(lambda: _state_is(handle, RunState.BLOCKED), step=timedelta(minutes=10))
    await stack.mailer.verify(f.SENDER)
    stack.mailer._verified.clear()
    await handle.signal(InvoiceDunningWorkflow.settings_changed)
    result = await handle.result()
    assert (result.reason, result.emails_sent) == (ExitReason.COMPLETED, 1)
    assert len(stack.sent()) == 1


async def _state_is(handle, state):
    status = await handle.query(InvoiceDunningWorkflow.status)
    return status if status.state == state else None
