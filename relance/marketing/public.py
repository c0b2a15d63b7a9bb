"""What other domains may call of marketing (the pipeline's automations), and nothing else: enrol a
contact in a scenario, remove it, create an email campaign's draft. The host API (starter.marketing)
uses the same functions. By name, never through the workflow classes: this sits below them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from temporalio.client import Client, WorkflowHandle

from models import AppUser, CampaignState, EmailCampaign, EmailTemplate
from relance.db import Database
from relance.email.rendering import template_problems
from relance.marketing import campaigns, repository, rules
from relance.marketing import merge_fields as marketing_fields
from relance.marketing.ids import marketing_workflow_id
from relance.marketing.merge_fields import OPPORTUNITY_FIELDS
from relance.marketing.repository import NotFound
from relance.marketing.starting import Enrolled, start_enrolment
from relance.marketing.types import MarketingInput, RemovalRequest
from relance.temporal.starting import update_or_refuse

__all__ = ["OPPORTUNITY_FIELDS", "Enrolment", "NotFound", "create_campaign", "enrol", "remove"]


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
                by: str, opportunity: dict[str, str] | None = None) -> Enrolment:
    """An opted-out or deleted contact, or a switched-off scenario, is refused before any run starts
    (the run re-checks before every step anyway). `opportunity`: the merge fields of the opportunity a
    pipeline automation enrols the contact for (OPPORTUNITY_FIELDS), kept with the enrolment."""
    async with db.session() as session:
        file = await repository.enrolment_file(session, org_slug, contact_ref, scenario_key)
    workflow_id = marketing_workflow_id(org_slug, scenario_key, contact_ref)
    refused = rules.exit_reason(file.facts)
    if refused is not None:
        return Enrolment(contact_ref, f"refused_{refused}", workflow_id)
    outcome, handle = await start_enrolment(client, task_queue, MarketingInput(
        org_slug, scenario_key, contact_ref, by, opportunity=opportunity or {}), file.scenario.allow_reentry)
    return Enrolment(contact_ref, outcome, workflow_id, handle)


async def remove(client: Client, org_slug: str, scenario_key: str, contact_ref: str, by: str, reason: str) -> str:
    """End the contact's run now, recorded with who and why. ValueError: refused (no who or why, or no
    running enrolment), naming what is missing."""
    return await update_or_refuse(
        client, marketing_workflow_id(org_slug, scenario_key, contact_ref), "remove", RemovalRequest(by=by,
                                                                                                    reason=reason),
        what=f"contact {contact_ref!r} in scenario {scenario_key!r}", result_type=str,
        missing=f"contact {contact_ref!r} has no running enrolment in marketing scenario {scenario_key!r} of "
                f"organisation {org_slug!r}")


async def create_campaign(db: Database, org_slug: str, key: str, name: str, template_key: str, by: str, *,
                          tag: str | None = None, account_ref: str | None = None, contact_ref: str | None = None,
                          sender: str | None = None) -> EmailCampaign:
    """Create (or change) a draft. Its template is checked against marketing's merge fields; a
    campaign launched already cannot change. ValueError names the field."""
    if [tag, account_ref, contact_ref].count(None) != 2:
        raise ValueError(f"campaign {key!r}: give exactly one audience: tag, account or contact")
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        template = (await session.exec(select(EmailTemplate).where(
            EmailTemplate.org_id == org.id, EmailTemplate.key == template_key))).first()
        if template is None:
            raise ValueError(f"campaign {key!r}: field template: unknown template {template_key!r}")
        problems = template_problems(template.subject, template.body, marketing_fields.FIELDS)
        if problems:
            raise ValueError(f"campaign {key!r}: field template {template_key!r}: {'; '.join(problems)}")
        sender_id = None
        if sender is not None:
            user = (await session.exec(select(AppUser).where(AppUser.org_id == org.id,
                                                             AppUser.email == sender))).first()
            if user is None:
                raise ValueError(f"campaign {key!r}: field sender: {sender!r} is not a user of the organisation")
            sender_id = user.id
        found = (await session.exec(select(EmailCampaign).where(EmailCampaign.org_id == org.id,
                                                                EmailCampaign.key == key))).first()
        if found is not None and found.state != CampaignState.DRAFT:
            raise ValueError(f"campaign {key!r} is {found.state}: only a draft can change")
        c = found or EmailCampaign(org_id=org.id, key=key, name=name, template_id=template.id, created_by=by)
        c.name, c.template_id, c.sender_user_id, c.audience_tag = name, template.id, sender_id, tag
        c.audience_account_id = await campaigns.account_id(session, org, account_ref) if account_ref else None
        c.audience_contact_id = (await repository.contact(session, org, contact_ref)).id if contact_ref else None
        session.add(c)
    return c
