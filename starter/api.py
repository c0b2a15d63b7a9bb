"""Calls from the host application (and the CLI) into running dunning and renewal workflows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from models import Contract, DunningRun, Payment, RenewalNotice
from relance import repository, rules
from relance import search_attributes as sa
from relance.db import Database
from relance.dunning import CancelRequest, DunningInput, RunState
from relance.ids import dunning_workflow_id, renewal_workflow_id
from relance.renewal import RenewalInput
from workflows.dunning import InvoiceDunningWorkflow
from workflows.renewal import RenewalNoticeWorkflow
from workflows.versions import REVISION


async def _start_once(client: Client, run, arg, workflow_id: str, task_queue: str, summary: str,
                      attributes: list[SearchAttributePair]) -> WorkflowHandle | None:
    """Start a workflow under its deterministic id; None when that id has a run already, running or
    finished (reject-duplicate id reuse: never restarted)."""
    try:
        return await client.start_workflow(
            run, arg, id=workflow_id, task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [*attributes, SearchAttributePair(sa.STATE, RunState.STARTING.value)]),
            static_summary=summary,
        )
    except WorkflowAlreadyStartedError:
        return None


async def start_dunning_run(client: Client, task_queue: str, org_slug: str, invoice_number: str,
                            customer_ref: str) -> WorkflowHandle | None:
    """Start the invoice's run; None when it has one already, running or finished (never restarted)."""
    return await _start_once(
        client, InvoiceDunningWorkflow.run, DunningInput(org_slug, invoice_number, REVISION),
        dunning_workflow_id(org_slug, invoice_number), task_queue,
        f"Dunning of invoice {invoice_number} ({org_slug})",
        [SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.INVOICE_NUMBER, invoice_number),
         SearchAttributePair(sa.CUSTOMER, customer_ref)],
    )


async def start_renewal_notice(client: Client, task_queue: str, org_slug: str, contract_ref: str,
                               customer_ref: str, term_end: date) -> WorkflowHandle | None:
    """Start the notice of one contract's term; None when that term's notice exists already, so the
    nightly inspection can run any number of times and a notice still goes once per term."""
    return await _start_once(
        client, RenewalNoticeWorkflow.run, RenewalInput(org_slug, contract_ref, term_end, REVISION),
        renewal_workflow_id(org_slug, contract_ref, term_end), task_queue,
        f"Renewal notice of contract {contract_ref}, term ending {term_end} ({org_slug})",
        [SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.CONTRACT, contract_ref),
         SearchAttributePair(sa.CUSTOMER, customer_ref)],
    )


async def _signal(client: Client, workflow_id: str, signal, *args) -> bool:
    """Signal a run; False when it is not running."""
    try:
        await client.get_workflow_handle(workflow_id).signal(signal, *args)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def notify_invoice_changed(client: Client, org_slug: str, invoice_number: str) -> bool:
    return await _signal(client, dunning_workflow_id(org_slug, invoice_number), InvoiceDunningWorkflow.invoice_changed)


async def cancel_reminders(client: Client, org_slug: str, invoice_number: str, reason: str, by: str) -> bool:
    return await _signal(client, dunning_workflow_id(org_slug, invoice_number),
                         InvoiceDunningWorkflow.cancel_reminders, CancelRequest(reason=reason, by=by))


async def invoice_created(client: Client, db: Database, task_queue: str, org_slug: str,
                          invoice_number: str) -> WorkflowHandle | None:
    """Seed 002's "activation by default": a new invoice gets its run at once, so steps before the
    due date can go. Otherwise the nightly sweep picks it up once overdue."""
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number)
    org = file.org
    if not (org.dunning_enabled and org.dunning_apply_to_new_invoices):
        return None
    if rules.exit_reason(file.invoice, file.amount_due) is not None:
        return None
    return await start_dunning_run(client, task_queue, org_slug, invoice_number, file.account.ref)


async def record_payment(client: Client, db: Database, org_slug: str, invoice_number: str, amount: Decimal,
                         ref: str, paid_on: date) -> Decimal:
    """Store a payment and wake the run, which exits now if nothing is owed any more. Returns the amount due."""
    if amount <= 0:
        raise ValueError(f"payment {ref!r} of invoice {invoice_number!r}: field amount must be positive, got {amount}")
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number)
        existing = (await session.exec(select(Payment).where(
            Payment.invoice_id == file.invoice.id, Payment.ref == ref))).first()
        if existing is None:
            payment = Payment(invoice_id=file.invoice.id, ref=ref, amount=amount, paid_on=paid_on)
            session.add(payment)
            file.paid += amount
    await notify_invoice_changed(client, org_slug, invoice_number)
    return file.amount_due


async def set_dunning_activation(client: Client, db: Database, org_slug: str, enabled: bool) -> int:
    """Switch dunning on or off; switching on wakes the held runs (each resumes where it was). Returns
    the number of runs told."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        org.dunning_enabled = enabled
        session.add(org)
        open_runs = (await session.exec(select(DunningRun.workflow_id).where(
            DunningRun.org_id == org.id, DunningRun.ended_at.is_(None)))).all()
    if not enabled:
        return 0
    told = 0
    for workflow_id in open_runs:
        told += await _signal(client, workflow_id, InvoiceDunningWorkflow.settings_changed)
    return told


async def cancel_renewal_notice(client: Client, db: Database, org_slug: str, contract_ref: str, reason: str,
                                by: str) -> list[str]:
    """Cancel the contract's notices not ended yet (waiting for the send window, or blocked by an
    unverified sender); returns the workflow ids told. A notice already sent cannot be taken back."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        open_notices = (await session.exec(
            select(RenewalNotice.workflow_id).join(Contract, Contract.id == RenewalNotice.contract_id)
            .where(Contract.org_id == org.id, Contract.ref == contract_ref, RenewalNotice.ended_at.is_(None))
        )).all()
    return [workflow_id for workflow_id in open_notices
            if await _signal(client, workflow_id, RenewalNoticeWorkflow.cancel_notice, CancelRequest(reason, by))]
