"""Calls from the host application (and the CLI) into renewal notices."""

from __future__ import annotations

from sqlmodel import select
from temporalio.client import Client

from models import Contract, RenewalNotice
from relance.db import Database
from relance.renewal import repository
from relance.renewal.starting import start_renewal_notice
from relance.scenario.plan import CancelRequest
from relance.temporal.starting import update_if_running
from workflows.renewal import RenewalNoticeWorkflow

__all__ = ["cancel_renewal_notice", "start_renewal_notice"]


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
            if await update_if_running(client, workflow_id, RenewalNoticeWorkflow.cancel, CancelRequest(reason, by))]
