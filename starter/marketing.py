"""Calls from the host application (and the CLI) into marketing: enrol a contact (or a batch, by tag or
account), remove one, show a contact's consent and enrolments, unsubscribe."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from models import Contact, MarketingEnrolment
from relance.db import Database
from relance.marketing import consent, repository, rules
from relance.marketing.ids import marketing_workflow_id
from relance.marketing.starting import Enrolled, start_enrolment
from relance.marketing.types import EnrolmentStatus, MarketingInput, OptOutVia, RemovalRequest
from relance.temporal.starting import signal_if_running
from workflows.marketing import MarketingEnrolmentWorkflow

__all__ = ["enrol", "enrol_batch", "opt_out", "remove", "show", "unsubscribe"]


@dataclass
class Enrolment:
    """What enrolling one contact did: started, or the no-op and why (already running, finished and the
    scenario takes nobody twice, opted out, deleted, scenario switched off)."""

    contact_ref: str
    outcome: str
    workflow_id: str
    handle: WorkflowHandle | None = None  # the run started

    @property
    def started(self) -> bool:
        return self.outcome == Enrolled.STARTED


async def enrol(client: Client, db: Database, task_queue: str, org_slug: str, scenario_key: str, contact_ref: str,
                by: str) -> Enrolment:
    """An opted-out or deleted contact, or a switched-off scenario, is refused before any run starts
    (the run re-checks before every step anyway)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        scenario = await repository.latest_scenario(session, org, scenario_key)
        await repository.contact(session, org, contact_ref)
        file = await repository.contact_file(session, org_slug, contact_ref, scenario_key)
    workflow_id = marketing_workflow_id(org_slug, scenario_key, contact_ref)
    refused = rules.exit_reason(file.facts)
    if refused is not None:
        return Enrolment(contact_ref, f"refused_{refused}", workflow_id)
    outcome, handle = await start_enrolment(client, task_queue, MarketingInput(org_slug, scenario_key, contact_ref,
                                                                               by), scenario.allow_reentry)
    return Enrolment(contact_ref, outcome, workflow_id, handle)


@dataclass
class BatchResult:
    total: int
    outcomes: Counter = field(default_factory=Counter)


async def enrol_batch(client: Client, db: Database, task_queue: str, org_slug: str, scenario_key: str, by: str, *,
                      tag: str | None = None, account_ref: str | None = None,
                      progress: Callable[[int, int, Enrolment], None] = lambda *_: None) -> BatchResult:
    """Every contact with the tag, or of the account; one contact's refusal never stops the others."""
    if (tag is None) == (account_ref is None):
        raise ValueError("batch enrolment: give either a tag or an account")
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        await repository.latest_scenario(session, org, scenario_key)
        refs = await repository.contact_refs(session, org, tag=tag, account_ref=account_ref)
    result = BatchResult(len(refs))
    for n, ref in enumerate(refs, start=1):
        enrolment = await enrol(client, db, task_queue, org_slug, scenario_key, ref, by)
        result.outcomes[enrolment.outcome] += 1
        progress(n, len(refs), enrolment)
    return result


async def remove(client: Client, org_slug: str, scenario_key: str, contact_ref: str, by: str, reason: str) -> str:
    """End the contact's run now, recorded with who and why. ValueError: refused (no who or why, or no
    running enrolment), naming what is missing."""
    handle = client.get_workflow_handle(marketing_workflow_id(org_slug, scenario_key, contact_ref))
    try:
        return await handle.execute_update(MarketingEnrolmentWorkflow.remove, RemovalRequest(by=by, reason=reason))
    except WorkflowUpdateFailedError as exc:
        raise ValueError(f"contact {contact_ref!r} in scenario {scenario_key!r}: {exc.cause}") from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise repository.NotFound(f"contact {contact_ref!r} has no running enrolment in marketing scenario "
                                      f"{scenario_key!r} of organisation {org_slug!r}") from exc
        raise


async def opt_out(client: Client, db: Database, org_slug: str, contact_ref: str, via: OptOutVia,
                  now: datetime) -> bool:
    """Record the opt-out (the first one's when and how are kept) and end the contact's marketing runs
    (each re-checks now). False when the contact had opted out already."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        contact = await repository.contact(session, org, contact_ref)
        fresh = contact.opted_out_at is None
        if fresh:
            contact.opted_out_at, contact.opted_out_via = now, via
            session.add(contact)
        running = (await session.exec(select(MarketingEnrolment.workflow_id).where(
            MarketingEnrolment.contact_id == contact.id, col(MarketingEnrolment.ended_at).is_(None)))).all()
    for workflow_id in set(running):
        await signal_if_running(client, workflow_id, MarketingEnrolmentWorkflow.contact_changed)
    return fresh


async def unsubscribe(client: Client, db: Database, secret: str, token: str, via: OptOutVia,
                      now: datetime) -> consent.Subscriber:
    """An unsubscribe link followed (or a mail client's one-click POST). BadToken: not a valid link."""
    subscriber = consent.read_token(secret, token)
    await opt_out(client, db, subscriber.org_slug, subscriber.contact_ref, via, now)
    return subscriber


@dataclass
class EnrolmentLine:
    row: MarketingEnrolment
    live: EnrolmentStatus | None = None
    live_error: str | None = None


@dataclass
class ContactReport:
    contact: Contact
    timezone: str
    enrolments: list[EnrolmentLine]


async def show(client_of: Callable[[], Awaitable[Client]], db: Database, org_slug: str,
               contact_ref: str) -> ContactReport:
    """A contact's consent and tags, and its enrolments (newest first); running ones answer live."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        contact = await repository.contact(session, org, contact_ref)
        rows = (await session.exec(select(MarketingEnrolment).where(MarketingEnrolment.contact_id == contact.id)
                                   .order_by(col(MarketingEnrolment.id).desc()))).all()
    lines = [EnrolmentLine(row) for row in rows]
    for line in lines:
        if line.row.ended_at is not None:
            continue
        try:
            handle = (await client_of()).get_workflow_handle(line.row.workflow_id, run_id=line.row.run_id)
            line.live = await handle.query(MarketingEnrolmentWorkflow.status)
        except Exception as exc:  # no worker or no Temporal: the database still tells the story
            line.live_error = str(exc) or type(exc).__name__
    return ContactReport(contact, org.timezone, lines)
