"""Calls from the host application (and the CLI) into marketing: enrol a contact (or a batch, by tag or
account), remove one, show a contact's consent and enrolments, unsubscribe; email campaigns: create a
draft, launch it (now or at a time), cancel it, its progress and per-recipient records."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, WorkflowIDReusePolicy

from models import CampaignRecipient, CampaignState, Contact, EmailCampaign, MarketingEnrolment
from relance.db import Database
from relance.importing.importer import ImportReport
from relance.marketing import campaigns, consent, repository
from relance.marketing.ids import CAMPAIGN_WORKFLOW, campaign_workflow_id
from relance.marketing.public import Enrolment, create_campaign, enrol, reference_problems, remove
from relance.marketing.types import (
    CAMPAIGN_BATCH,
    CampaignCancel,
    CampaignInput,
    CampaignProgress,
    CampaignResult,
    OptOutVia,
)
from relance.scenario.plan import WalkStatus
from relance.temporal import search_attributes as sa
from relance.temporal.revision import REVISION
from relance.temporal.starting import signal_if_running, start_once, update_or_refuse
from workflows.marketing import EmailCampaignWorkflow, MarketingEnrolmentWorkflow

__all__ = ["campaign_progress", "campaign_report", "cancel_campaign", "create_campaign", "enrol", "enrol_batch",
           "reference_problems",
           "launch_campaign", "opt_out", "remove", "retry_recipient", "set_scenario_activation", "show",
           "unsubscribe", "wake_after_import", "wake_enrolments"]


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
    await wake_enrolments(client, db, org_slug, contact_refs=[contact_ref])
    return fresh


# Signals in flight at once when many runs are woken (a scenario switched off with 10,000 contacts in it).
WAKE_CONCURRENCY = 50


async def wake_enrolments(client: Client, db: Database, org_slug: str, *, scenario_key: str | None = None,
                          contact_refs: Iterable[str] = ()) -> int:
    """Tell the running enrolments in a scenario, or of some contacts, to re-check now: a scenario
    switched off, an opt-out or a deletion then ends them at once, not at their next step (days away
    in a pause). The number of runs told."""
    refs = list(contact_refs)
    if scenario_key is None and not refs:
        return 0
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        query = select(MarketingEnrolment.workflow_id).where(MarketingEnrolment.org_id == org.id,
                                                             col(MarketingEnrolment.ended_at).is_(None))
        if scenario_key is not None:
            query = query.where(MarketingEnrolment.scenario_key == scenario_key)
        if refs:
            query = query.join(Contact, Contact.id == MarketingEnrolment.contact_id).where(col(Contact.ref).in_(refs))
        workflow_ids = sorted(set((await session.exec(query)).all()))
    gate = asyncio.Semaphore(WAKE_CONCURRENCY)

    async def wake(workflow_id: str) -> bool:
        async with gate:
            return await signal_if_running(client, workflow_id, MarketingEnrolmentWorkflow.contact_changed)

    return sum(await asyncio.gather(*(wake(w) for w in workflow_ids)))


async def set_scenario_activation(client: Client, db: Database, org_slug: str, scenario_key: str,
                                  enabled: bool) -> int:
    """Switch a marketing scenario on or off (its latest version: the one every run re-checks). Switched
    off, its running enrolments exit at once (scenario_switched_off); the number woken."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        scenario = await repository.latest_scenario(session, org, scenario_key)
        scenario.enabled = enabled
        session.add(scenario)
    return 0 if enabled else await wake_enrolments(client, db, org_slug, scenario_key=scenario_key)


async def wake_after_import(client: Client, db: Database, report: ImportReport) -> int:
    """The marketing runs an import ends (a scenario switched off, a contact opted out or deleted) end now."""
    woken = 0
    for org_slug, scenario_key in report.marketing_scenarios_off:
        woken += await wake_enrolments(client, db, org_slug, scenario_key=scenario_key)
    for org_slug in sorted({org for org, _ in report.contacts_leaving}):
        woken += await wake_enrolments(client, db, org_slug,
                                       contact_refs=[ref for org, ref in report.contacts_leaving if org == org_slug])
    return woken


async def unsubscribe(client: Client, db: Database, secret: str, token: str, via: OptOutVia,
                      now: datetime) -> consent.Subscriber:
    """An unsubscribe link followed (or a mail client's one-click POST). BadToken: not a valid link."""
    subscriber = consent.read_token(secret, token)
    await opt_out(client, db, subscriber.org_slug, subscriber.contact_ref, via, now)
    return subscriber


@dataclass
class EnrolmentLine:
    row: MarketingEnrolment
    live: WalkStatus | None = None
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


# --- email campaigns ----------------------------------------------------------------------------


async def launch_campaign(client: Client, db: Database, task_queue: str, org_slug: str, key: str, by: str,
                          at: datetime | None = None, batch_size: int = CAMPAIGN_BATCH) -> WorkflowHandle:
    """Launch a draft now or at `at`: one durable workflow sends it (a run per `batch_size` recipients,
    each continuing as new). ValueError: not a draft any more."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        c = await campaigns.campaign(session, org, key)
        if c.state != CampaignState.DRAFT:
            raise ValueError(f"campaign {key!r} is {c.state}: it was launched already")
        c.state, c.launched_by, c.launch_at = CampaignState.SCHEDULED if at else CampaignState.SENDING, by, at
        session.add(c)
        handle = await start_once(
            client, CAMPAIGN_WORKFLOW, CampaignInput(org_slug, key, at, REVISION, batch_size=batch_size),
            CampaignResult,
            campaign_workflow_id(org_slug, key), task_queue, f"Campaign {key} ({org_slug})",
            [SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.CAMPAIGN, [key])])
        if handle is None:
            raise ValueError(f"campaign {key!r} was launched already")
    return handle


async def retry_recipient(client: Client, db: Database, task_queue: str, org_slug: str, key: str,
                          contact_ref: str) -> WorkflowHandle:
    """Send a failed recipient's email again, alone (a run of its own); ValueError when it did not fail."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        c = await campaigns.campaign(session, org, key)
        contact = await repository.contact(session, org, contact_ref)
        row = (await session.exec(select(CampaignRecipient).where(CampaignRecipient.campaign_id == c.id,
                                                                  CampaignRecipient.contact_id == contact.id))).first()
    if row is None or row.state != "failed":
        raise ValueError(f"campaign {key!r}: contact {contact_ref!r} is {row.state if row else 'not a recipient'}: "
                         f"only a failed recipient is retried")
    handle = await start_once(
        client, CAMPAIGN_WORKFLOW, CampaignInput(org_slug, key, None, REVISION, [contact_ref]), CampaignResult,
        f"{campaign_workflow_id(org_slug, key)}:retry:{contact_ref}", task_queue,
        f"Campaign {key} ({org_slug}): retry {contact_ref}",
        [SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.CAMPAIGN, [key])],
        reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE)
    if handle is None:
        raise ValueError(f"campaign {key!r}: contact {contact_ref!r} is being retried already")
    return handle


async def cancel_campaign(client: Client, org_slug: str, key: str, by: str, reason: str) -> str:
    return await update_or_refuse(
        client, campaign_workflow_id(org_slug, key), EmailCampaignWorkflow.cancel, CampaignCancel(by=by, reason=reason),
        what=f"campaign {key!r}", missing=f"campaign {key!r} of organisation {org_slug!r} is not sending")


async def campaign_progress(client: Client, org_slug: str, key: str) -> CampaignProgress:
    """The running campaign's own count (n of N), for a progress bar."""
    return await client.get_workflow_handle(campaign_workflow_id(org_slug, key)).query(EmailCampaignWorkflow.progress)


@dataclass
class CampaignReport:
    campaign: EmailCampaign
    counts: dict[str, int]
    recipients: list[tuple[CampaignRecipient, str]]


async def campaign_report(db: Database, org_slug: str, key: str) -> CampaignReport:
    """A campaign and each recipient's record (state, reason, message id)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        c = await campaigns.campaign(session, org, key)
        return CampaignReport(c, await campaigns.counts(session, c.id), await campaigns.recipients(session, c.id))
