"""A cancel sent by anyone (`temporal workflow signal`, a script, the API) never wedges a run and is
never silently dropped: one naming a reason cancels (who defaults to "unknown"); anything else is
refused where ops look (the timeline `relance show` prints, the run's status and current details),
and the run keeps answering and sends its next step. The `cancel` update answers with the refusal."""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from relance.dunning.types import ExitReason
from relance.scenario.plan import RunState
from starter.dunning import cancel_reminders
from tests import factories as f
from workflows.dunning import InvoiceDunningWorkflow

MALFORMED = {
    "no argument": (),
    "text": ("text",),
    "empty object": ({},),
    "unknown field": ({"bogus": 1},),
    "a list": (["paid by cheque"],),
    "null": (None,),
    "empty reason": ({"reason": "  ", "by": "ops"},),
    "reason not text": ({"reason": 12},),
    "by not text": ({"reason": "paid", "by": ["ops"]},),
    "two arguments": ({"reason": "paid"}, {"by": "ops"}),
    "reason too long": ({"reason": "x" * 5000},),
}


async def _running_after_first_reminder(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice()]))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    return handle


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
async def test_a_malformed_cancel_signal_is_refused_visibly_and_the_run_carries_on(stack, case):
    handle = await _running_after_first_reminder(stack)
    await handle.signal("cancel_reminders", args=list(MALFORMED[case]))

    async def refused_in_timeline():
        return [e for e in await stack.timeline() if e.kind == "signal_rejected"]

    [event] = await stack.advance_until(refused_in_timeline, step=timedelta(seconds=1))
    assert event.outcome == "refused" and event.reason.startswith("cancel_reminders: ")
    status = await handle.query(InvoiceDunningWorkflow.status)  # still answers
    assert status.state == RunState.WAITING and len(status.refused) == 1
    details = (await handle.query("__temporal_workflow_metadata")).current_details
    assert "Refused: cancel_reminders" in details
    await stack.advance_until(lambda: len(stack.sent()) == 2, step=timedelta(days=1))  # the next step went
    await handle.signal("cancel_reminders", {"reason": "paid by cheque"})
    result = await handle.result()
    assert (result.reason, result.detail) == (ExitReason.CANCELLED, "by unknown: paid by cheque")


async def test_a_cancel_naming_only_a_reason_cancels_by_unknown(stack):
    handle = await _running_after_first_reminder(stack)
    await handle.signal("cancel_reminders", {"reason": "paid by cheque"})
    result = await handle.result()
    assert (result.reason, result.detail) == (ExitReason.CANCELLED, "by unknown: paid by cheque")
    assert not [e for e in await stack.timeline() if e.kind == "signal_rejected"]


@pytest.mark.parametrize("case", ["no argument", "text", "unknown field", "empty reason"])
async def test_the_cancel_update_answers_a_malformed_cancel_with_what_is_wrong(stack, case):
    handle = await _running_after_first_reminder(stack)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("cancel", args=list(MALFORMED[case]))
    assert "reason" in str(refused.value.cause) or "argument" in str(refused.value.cause) \
        or "field" in str(refused.value.cause)
    assert (await handle.query(InvoiceDunningWorkflow.status)).state == RunState.WAITING
    assert await cancel_reminders(stack.client, stack.slug, "F-1", "customer called", "claire") == "cancelled"
    result = await handle.result()
    assert (result.reason, result.detail) == (ExitReason.CANCELLED, "by claire: customer called")
    assert len(stack.sent()) == 1
