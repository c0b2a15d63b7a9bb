"""Runs started by today's code take every listed change without patch markers; a run whose input
says revision 0 (started by older code, or by hand) follows workflow.patched() and still gets its
search attributes."""

from temporalio.api.enums.v1 import EventType

from relance.dunning.ids import dunning_workflow_id
from relance.dunning.types import DunningInput
from relance.temporal import search_attributes as sa
from relance.temporal.queues import email_queue
from relance.temporal.revision import CHANGES, REVISION
from tests import factories as f
from workflows.dunning import InvoiceDunningWorkflow

IDENTITY = {sa.ORGANISATION.name, sa.INVOICE_NUMBER.name, sa.CUSTOMER.name}


async def _history(handle) -> dict:
    """What the run's history shows: patch ids recorded, search attributes upserted, SES activity queue."""
    patches, upserted, email_queues = [], set(), []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and \
                event.marker_recorded_event_attributes.marker_name == "core_patch":
            patches.append(event)
        elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            upserted |= set(event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            if attributes.activity_type.name == "execute_step":
                email_queues.append(attributes.task_queue.name)
    return {"patches": len(patches), "upserted": upserted, "email_queues": email_queues}


async def test_a_new_run_pays_no_patch_marker_and_keeps_its_start_search_attributes(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    handle = await stack.start()
    await handle.result()
    seen = await _history(handle)
    assert seen["patches"] == 0
    assert "TemporalChangeVersion" not in seen["upserted"]
    assert not seen["upserted"] & IDENTITY  # set at start, not written again
    assert seen["email_queues"] == [email_queue(stack.task_queue)]
    assert (await stack.keywords(handle))[sa.INVOICE_NUMBER.name] == "F-1"
    assert max(CHANGES.values()) == REVISION


async def test_a_revision_0_run_follows_the_patches_and_gets_its_search_attributes(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    # As an older starter (or `temporal workflow start`) did: no revision, no search attributes.
    handle = await stack.client.start_workflow(
        InvoiceDunningWorkflow.run, DunningInput(stack.slug, "F-1"), id=dunning_workflow_id(stack.slug, "F-1"),
        task_queue=stack.task_queue)
    await handle.result()
    seen = await _history(handle)
    # The run's changes (a refused signal's is asked only when one comes; the others are other workflows').
    others = ("simulation-walk-state", "signal-refusals", "marketing-settle-uncertain", "campaign-batches")
    assert seen["patches"] == len([c for c in CHANGES if c not in others])
    assert seen["upserted"] >= IDENTITY | {"TemporalChangeVersion"}
    assert seen["email_queues"] == [email_queue(stack.task_queue)]
    assert (await stack.keywords(handle))[sa.INVOICE_NUMBER.name] == "F-1"
    assert len(stack.sent()) == 1
