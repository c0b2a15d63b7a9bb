"""The same-shape baseline: a workflow with the shape of a one-reminder dunning run, doing nothing.

What an InvoiceDunningWorkflow of today's revision does in the bench, up to its first reminder and
its end, with every activity a no-op (no database, no SES, no rendering, no logging, no metric):

- started with the same four search attributes and a static summary, its input DunningInput-sized;
- a local activity ("begin") returning a RunPlan-sized payload (the identity search attributes are
  not upserted again: the run was started with them);
- one upsert of the same three search attributes (state, step, next step at) and current details;
- the wait until the step's time: a timer only when the step is not due yet. A bench run's reminder
  is due at once (send window the whole day), so, like the dunning run, it starts no timer unless
  `wait_seconds` says so;
- an activity ("step") on a second task queue (`<queue>-email`), returning a StepOutcome-sized payload;
- the end: one upsert of the same three attributes, current details, a final local activity ("finish").

Payloads are plain dicts through the SDK's default converter, the same JSON size as relance's. So
relance / same-shape leaves out only what relance's own code adds: its activities' work, its
converter, its workflow logic, its logging and metrics. Runs in the baseline worker's process
(bench/baseline_worker.py), alternating with the other phases.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from relance.temporal import search_attributes as sa
    from relance.temporal.queues import email_queue

TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
_MESSAGE_ID = "0100019abc1234de-5678abcd-9abc-4def-0123-456789abcdef-000000"  # an SES message id's length


@activity.defn(name="same_shape_begin")
async def begin(inp: dict) -> dict:
    """A RunPlan-sized answer (one step), and nothing else."""
    return {"org_slug": inp["org_slug"], "invoice_number": inp["invoice_number"], "customer_ref": "C0",
            "scenario_id": 1, "scenario_name": "Bench", "timezone": "Europe/Paris", "due_date": "2026-01-01",
            "started_at": inp["now"],
            "steps": [{"position": 1, "kind": "email", "label": "Relance", "offset_days": 10, "pause_days": 0,
                       "window_start": "00:00:00", "window_end": "23:59:59"}]}


@activity.defn(name="same_shape_step")
async def step(inp: dict) -> dict:
    """A StepOutcome-sized answer, and nothing else."""
    return {"status": "done", "reason": None, "recipient": "billing@client0.example.org",
            "message_id": _MESSAGE_ID, "detail": None}


@activity.defn(name="same_shape_finish")
async def finish(inp: dict) -> None:
    """Nothing."""


@workflow.defn
class SameShapeWorkflow:
    @workflow.run
    async def run(self, inp: dict) -> dict:
        workflow_id = workflow.info().workflow_id
        plan = await workflow.execute_local_activity(
            begin, {"workflow_id": workflow_id, "org_slug": inp["org_slug"], "invoice_number": inp["invoice_number"],
                    "now": workflow.now().isoformat()},
            start_to_close_timeout=TIMEOUT, retry_policy=RETRY, summary="Load invoice and scenario")
        first = plan["steps"][0]
        label = f"{first['position']}. {first['label']}"
        at = workflow.now() + timedelta(seconds=inp.get("wait_seconds", 0))
        workflow.upsert_search_attributes([
            sa.STATE.value_set("waiting"), sa.CURRENT_STEP.value_set(label), sa.NEXT_STEP_AT.value_set(at)])
        workflow.set_current_details(f"Invoice **{inp['invoice_number']}** · Bench\n\nWaiting for step **{label}**")
        if at > workflow.now():
            await workflow.sleep(at - workflow.now(), summary=f"step {label}")
        outcome = await workflow.execute_activity(
            step, {"workflow_id": workflow_id, "org_slug": inp["org_slug"], "invoice_number": inp["invoice_number"],
                   "scenario_id": plan["scenario_id"], "position": first["position"],
                   "now": workflow.now().isoformat()},
            task_queue=email_queue(workflow.info().task_queue), start_to_close_timeout=TIMEOUT, retry_policy=RETRY,
            summary=f"Step {label} (email)")
        workflow.upsert_search_attributes([
            sa.STATE.value_set("ended"), sa.CURRENT_STEP.value_set(""), sa.NEXT_STEP_AT.value_unset()])
        workflow.set_current_details("Ended: completed")
        await workflow.execute_local_activity(
            finish,
            {"workflow_id": workflow_id, "reason": "completed", "detail": None, "now": workflow.now().isoformat()},
            start_to_close_timeout=TIMEOUT, retry_policy=RETRY, summary="Finish: completed")
        return {"reason": "completed", "detail": None, "emails_sent": 1 if outcome["message_id"] else 0,
                "steps_done": 1}


def start_options(org_slug: str, invoice_number: str) -> dict:
    """What the sweep's start of a dunning run carries: four search attributes and a static summary."""
    return dict(
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.INVOICE_NUMBER, invoice_number),
            SearchAttributePair(sa.CUSTOMER, "C0"), SearchAttributePair(sa.STATE, "starting")]),
        static_summary=f"Dunning of invoice {invoice_number} ({org_slug})",
    )
