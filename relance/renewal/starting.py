"""Starting the renewal notice of one contract's term: used by the nightly inspection and the host API."""

from __future__ import annotations

from datetime import date

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair

from relance.renewal.ids import NOTICE_WORKFLOW, renewal_workflow_id
from relance.renewal.types import NoticeResult, RenewalInput
from relance.temporal import search_attributes as sa
from relance.temporal.revision import REVISION
from relance.temporal.starting import start_once


async def start_renewal_notice(client: Client, task_queue: str, org_slug: str, contract_ref: str,
                               customer_ref: str, term_end: date) -> WorkflowHandle | None:
    """Start the notice of one contract's term; None when that term's notice exists already, so the
    nightly inspection can run any number of times and a notice still goes once per term."""
    return await start_once(
        client, NOTICE_WORKFLOW, RenewalInput(org_slug, contract_ref, term_end, REVISION), NoticeResult,
        renewal_workflow_id(org_slug, contract_ref, term_end), task_queue,
        f"Renewal notice of contract {contract_ref}, term ending {term_end} ({org_slug})",
        [SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.CONTRACT, contract_ref),
         SearchAttributePair(sa.CUSTOMER, customer_ref)],
    )
