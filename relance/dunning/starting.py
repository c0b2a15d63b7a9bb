"""Starting an invoice's dunning run: used by the host API, the importer's callers and the nightly sweep."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, WorkflowIDReusePolicy

from relance.dunning.ids import RUN_WORKFLOW, dunning_workflow_id
from relance.dunning.types import DunningInput, RunResult
from relance.temporal import search_attributes as sa
from relance.temporal.revision import REVISION
from relance.temporal.starting import start_once


async def start_dunning_run(client: Client, task_queue: str, org_slug: str, invoice_number: str,
                            customer_ref: str, requested_by: str | None = None, life: int = 1) -> WorkflowHandle | None:
    """Start the invoice's run; None when it has one already, running or finished (restarted only as a new
    `life` after it ended: starter.dunning.restart_if_remindable). `requested_by`: someone applied the
    scenario to this invoice by hand (its timeline says who)."""
    return await start_once(
        client, RUN_WORKFLOW, DunningInput(org_slug, invoice_number, REVISION, requested_by, life), RunResult,
        dunning_workflow_id(org_slug, invoice_number), task_queue,
        f"Dunning of invoice {invoice_number} ({org_slug})",
        [SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.INVOICE_NUMBER, invoice_number),
         SearchAttributePair(sa.CUSTOMER, customer_ref)],
        WorkflowIDReusePolicy.ALLOW_DUPLICATE if life > 1 else WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
