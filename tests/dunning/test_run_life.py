"""A run's life follows the invoice's (issue 22): a pause until a date (promise to pay, dispute), an account
excluded from dunning, a minimum amount due, and an ended run that starts again when its invoice can be
reminded again, never sending a step twice."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import DunningRun
from relance.dunning.ids import dunning_workflow_id
from relance.dunning.settings import DunningChange, read_settings
from relance.dunning.types import ExitReason, PauseRequest, ResumeRequest
from relance.importing.format import InvoiceIn
from relance.scenario.plan import RunState
from starter.dunning import (
    RunNotRunning,
    change_dunning_settings,
    exclude_account,
    pause_reminders,
    record_payment,
    resume_reminders,
    save_invoice,
)
from tests import factories as f
from workflows.dunning import InvoiceDunningWorkflow

PARIS = ZoneInfo("Europe/Paris")
# Three reminders: the first at once (overdue), then 20 days, then 5 days after the one before.
THREE = [{"kind": "email", "label": "Première", "offset_days": 10, "template": "first"},
         {"kind": "pause", "label": "Pause", "days": 20},
         {"kind": "email", "label": "Deuxième", "template": "second"},
         {"kind": "pause", "label": "Pause", "days": 5},
         {"kind": "email", "label": "Troisième", "template": "second"}]


async def _first_reminder_sent(stack, **invoice):
    await stack.mid_morning()  # these tests count days in Paris
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(THREE, invoices=[f.invoice(**invoice)]))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1, step=timedelta(minutes=10))
    return handle


async def _sent_days(stack) -> list[date]:
    return [e.occurred_at.astimezone(PARIS).date() for e in await stack.emails()]


async def _state(handle) -> RunState:
    return (await handle.query(InvoiceDunningWorkflow.status)).state


def _pause(until: date, reason: str = "promise_to_pay", note: str = "virement annoncé") -> PauseRequest:
    return PauseRequest(until.isoformat(), reason, "claire", note)


async def test_a_promise_to_pay_kept_ends_the_run_as_paid_during_the_pause(stack):
    handle = await _first_reminder_sent(stack)
    today = await stack.today()
    answer = await pause_reminders(stack.client, stack.db, stack.slug, "F-1", _pause(today + timedelta(days=15)))
    assert answer.paused_until.astimezone(PARIS).date() == today + timedelta(days=15)
    assert answer.paused_until.astimezone(PARIS).hour == 0
    status = await handle.query(InvoiceDunningWorkflow.status)
    assert (status.state, status.next_at) == (RunState.PAUSED, answer.resumes_at)
    details = (await handle.query("__temporal_workflow_metadata")).current_details
    assert "Paused before step **3. Deuxième**: promise_to_pay until" in details
    await stack.env.sleep(timedelta(days=10))
    await record_payment(stack.client, stack.db, stack.slug, "F-1", f.Decimal("1200.00"), "VIR-1",
                         await stack.today())
    result = await handle.result()
    assert (result.reason, result.emails_sent) == (ExitReason.PAID, 1)
    assert len(stack.sent()) == 1
    paused = [e for e in await stack.timeline() if e.kind == "pause"]
    assert [(e.outcome, e.reason) for e in paused] == [
        ("paused", f"promise_to_pay until {today + timedelta(days=15)}, by claire: virement annoncé")]


async def test_a_broken_promise_resumes_at_its_date_with_the_spacing_kept(stack):
    """The second reminder was due on day 20, the promise ran to day 30: it goes on day 30 (not before),
    and the third 5 days after it, not with it."""
    handle = await _first_reminder_sent(stack)
    first_day = (await _sent_days(stack))[0]
    until = first_day + timedelta(days=30)
    answer = await pause_reminders(stack.client, stack.db, stack.slug, "F-1", _pause(until))
    assert answer.resumes_at.astimezone(PARIS).date() == until  # the answer says when it goes on
    await stack.env.sleep(timedelta(days=29))
    assert len(stack.sent()) == 1 and await _state(handle) == RunState.PAUSED
    result = await handle.result()
    assert (result.reason, result.emails_sent) == (ExitReason.COMPLETED, 3)
    assert await _sent_days(stack) == [first_day, until, until + timedelta(days=5)]
    paused = [(e.outcome, e.reason) for e in await stack.timeline() if e.kind == "pause"]
    assert paused[-1] == ("resumed", "the pause reached its date")


async def test_a_dispute_resolved_resumes_the_series_at_once(stack):
    handle = await _first_reminder_sent(stack)
    first_day = (await _sent_days(stack))[0]
    await pause_reminders(stack.client, stack.db, stack.slug, "F-1",
                          _pause(first_day + timedelta(days=90), "dispute", "livraison contestée"))
    await stack.env.sleep(timedelta(days=25))  # the second reminder's day (20) passes in the dispute
    assert len(stack.sent()) == 1
    status = await resume_reminders(stack.client, stack.db, stack.slug, "F-1",
                                    ResumeRequest("claire", "avoir émis"))
    assert status.state == RunState.WAITING
    result = await handle.result()
    assert result.emails_sent == 3
    days = await _sent_days(stack)
    assert days[1] == first_day + timedelta(days=25) and days[2] == days[1] + timedelta(days=5)
    assert [(e.outcome, e.reason) for e in await stack.timeline() if e.kind == "pause"][-1] == (
        "resumed", "by claire: avoir émis")


async def test_a_pause_is_refused_with_the_field_named_and_nothing_written(stack):
    handle = await _first_reminder_sent(stack)
    today = await stack.today()
    for request, field in ((_pause(today - timedelta(days=1)), "field until"),
                           (_pause(today), "field until"),
                           (_pause(today + timedelta(days=400)), "field until"),
                           (_pause(today + timedelta(days=5), "holiday"), "field reason"),
                           (PauseRequest("15/12", "dispute", "claire"), "field until")):
        with pytest.raises(ValueError, match=field):
            await pause_reminders(stack.client, stack.db, stack.slug, "F-1", request)
    with pytest.raises(LookupError, match="invoice 'F-404'"):
        await pause_reminders(stack.client, stack.db, stack.slug, "F-404", _pause(today + timedelta(days=5)))
    with pytest.raises(ValueError, match="not paused"):
        await resume_reminders(stack.client, stack.db, stack.slug, "F-1", ResumeRequest("claire"))
    assert await _state(handle) == RunState.WAITING
    assert not [e for e in await stack.timeline() if e.kind == "pause"]
    await handle.signal("cancel_reminders", {"reason": "test over", "by": "ops"})
    await handle.result()
    with pytest.raises(RunNotRunning, match="has ended"):
        await pause_reminders(stack.client, stack.db, stack.slug, "F-1", _pause(today + timedelta(days=5)))


async def test_an_account_excluded_during_a_pause_holds_then_goes_on_when_readmitted(stack):
    handle = await _first_reminder_sent(stack)
    first_day = (await _sent_days(stack))[0]
    await pause_reminders(stack.client, stack.db, stack.slug, "F-1", _pause(first_day + timedelta(days=30)))
    await stack.env.sleep(timedelta(days=5))
    await exclude_account(stack.client, stack.db, stack.slug, "C1", "compte clé")
    await stack.advance_until(lambda: _held(handle), step=timedelta(days=1))  # the pause ended on day 30
    details = (await handle.query("__temporal_workflow_metadata")).current_details
    assert "Held at step **3. Deuxième**: customer excluded from dunning (compte clé)" in details
    await stack.env.sleep(timedelta(days=3))
    assert len(stack.sent()) == 1
    [hold] = [e for e in await stack.timeline() if e.kind == "hold"]
    assert hold.reason == "customer excluded from dunning (compte clé)"
    lifted_on = await stack.today()
    assert await exclude_account(stack.client, stack.db, stack.slug, "C1", None) == 1
    result = await handle.result()
    assert result.emails_sent == 3
    days = await _sent_days(stack)
    assert days[1] == lifted_on and days[2] == lifted_on + timedelta(days=5)  # no burst


async def _held(handle) -> bool:
    return await _state(handle) == RunState.HELD


async def test_a_step_under_the_minimum_amount_is_skipped_with_the_reason(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(THREE, dunning={"minimum_amounts": {"EUR": "5.00"}}, invoices=[
        f.invoice(payments=[{"ref": "P1", "amount": "1199.60", "paid_on": "today-1"}]),
        f.invoice("F-2")]))
    handles = [await stack.start(number) for number in ("F-1", "F-2")]
    results = [await handle.result() for handle in handles]
    assert [(r.reason, r.emails_sent) for r in results] == [(ExitReason.COMPLETED, 0), (ExitReason.COMPLETED, 3)]
    skipped = [e for e in await stack.timeline() if e.kind == "skip"]
    assert [e.reason for e in skipped] == ["below_minimum: 0.40 EUR due, under the minimum of 5.00 EUR"] * 3
    assert len(stack.sent()) == 3 and all("F-2" in m["subject"] for m in stack.sent())
    # over HTTP and the CLI the same settings change: only the currencies named
    saved, _ = await change_dunning_settings(stack.client, stack.db, stack.mailer, stack.slug,
                                             DunningChange(minimum_amounts={"USD": "10", "EUR": None}))
    assert saved.minimum_amounts == {"USD": f.Decimal("10")}
    assert (await read_settings(stack.db, stack.slug)).minimum_amounts == {"USD": f.Decimal("10")}
    with pytest.raises(ValueError, match="EUR"):
        DunningChange(minimum_amounts={"EUR": "0.001"})


async def test_a_direct_debit_failing_after_the_run_ended_starts_it_again_without_sending_a_step_twice(stack):
    await _first_reminder_sent(stack)

    async def host_says(**fields):
        return await save_invoice(stack.client, stack.db, stack.task_queue, stack.slug,
                                  InvoiceIn.model_validate(f.invoice(**fields)), await stack.today())

    async def ended_in(life: int) -> DunningRun | None:
        async with stack.db.session() as session:
            run = await session.get(DunningRun, dunning_workflow_id(stack.slug, "F-1"))
        return run if run.life == life and run.ended_at is not None else None

    await host_says(status="in_payment")  # a direct debit under way: the run ends
    # (not handle.result(): the test server would skip years ahead once the run is over, pitfall 4)
    assert (await stack.advance_until(lambda: ended_in(1), step=timedelta(seconds=1))).exit_reason == "in_payment"
    await stack.env.sleep(timedelta(days=3))
    saved = await host_says(status="issued")  # the debit failed
    assert saved.run_started

    run = await stack.advance_until(lambda: ended_in(2), step=timedelta(days=1), limit=60)
    assert (run.life, run.exit_reason) == (2, ExitReason.COMPLETED)
    subjects = [m["subject"] for m in stack.sent()]
    assert len(subjects) == 3 and len(set(m["message_id"] for m in stack.sent())) == 3
    assert subjects[0] == "Facture F-1 impayée"  # the first reminder, once: life 2 went on after it
    days = await _sent_days(stack)
    assert days[1] == days[0] + timedelta(days=20) and days[2] == days[1] + timedelta(days=5)
    story = [(e.kind, e.outcome, e.step_position) for e in await stack.timeline()
             if e.kind in ("email", "exit", "restart")]
    assert story == [("email", "sent", 0), ("exit", "exited", None), ("restart", "restarted", None),
                     ("email", "sent", 2), ("email", "sent", 4), ("exit", "exited", None)]


async def test_a_restart_that_misjudges_where_it_was_still_sends_no_step_twice(stack):
    """The send-once ledger decides, not the timeline: with the first reminder's timeline row lost (a
    fault injected), the new life walks from the first step again, and the ledger, keyed by workflow id
    and step as in every life, sends it no second time."""
    await _first_reminder_sent(stack)
    await save_invoice(stack.client, stack.db, stack.task_queue, stack.slug,
                       InvoiceIn.model_validate(f.invoice(do_not_remind=True)), await stack.today())
    workflow_id = dunning_workflow_id(stack.slug, "F-1")

    async def ended_in(life: int) -> bool:
        async with stack.db.session() as session:
            run = await session.get(DunningRun, workflow_id)
        return run.life == life and run.ended_at is not None

    await stack.advance_until(lambda: ended_in(1), step=timedelta(seconds=1))
    async with stack.db.session() as session:
        [row] = await stack.emails()
        await session.delete(await session.get(type(row), row.id))
    saved = await save_invoice(stack.client, stack.db, stack.task_queue, stack.slug,
                               InvoiceIn.model_validate(f.invoice(do_not_remind=False)), await stack.today())
    assert saved.run_started  # "do not remind" unticked
    await stack.advance_until(lambda: ended_in(2), step=timedelta(days=1), limit=60)
    subjects = [m["subject"] for m in stack.sent()]
    assert subjects == ["Facture F-1 impayée", "Deuxième relance F-1", "Deuxième relance F-1"]
    [first] = [e for e in await stack.timeline() if e.kind == "email" and e.step_position == 0]
    assert (first.outcome, first.recipient) == ("sent", "billing@dupont.example.org")  # as the ledger had it
