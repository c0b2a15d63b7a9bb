"""What other domains may call of marketing (the pipeline's automations), and nothing else: enrol a
contact in a scenario, remove it, create an email campaign's draft. The host API (starter.marketing)
uses the same functions. By name, never through the workflow classes: this sits below them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowHandle

from models import AppUser, CampaignState, EmailCampaign, EmailTemplate, Organisation
from relance.db import Database
from relance.email.rendering import template_problems
from relance.limits import Refused
from relance.marketing import campaigns, repository, rules
from relance.marketing import merge_fields as marketing_fields
from relance.marketing.ids import marketing_workflow_id
from relance.marketing.merge_fields import OPPORTUNITY_FIELDS
from relance.marketing.repository import NotFound
from relance.marketing.starting import Enrolled, start_enrolment
from relance.marketing.types import MarketingInput, RemovalRequest
from relance.temporal.starting import update_or_refuse

__all__ = ["OPPORTUNITY_FIELDS", "Enrolment", "NotFound", "create_campaign", "enrol", "reference_problems", "remove"]


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
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        problems = [] if [tag, account_ref, contact_ref].count(None) == 2 else [
            f"campaign {key!r}: give exactly one audience: tag, account or contact"]
        problems += await campaign_reference_problems(session, org, key, template_key, sender, account_ref,
                                                      contact_ref)
        if problems:
            raise Refused(problems[0] if len(problems) == 1 else f"campaign {key!r}: {len(problems)} problems",
                          problems)
        template = await _template(session, org, template_key)
        sender_id = (await _user(session, org, sender)).id if sender is not None else None
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


async def campaign_reference_problems(session: AsyncSession, org: Organisation, key: str, template_key: str | None,
                                      sender: str | None, account_ref: str | None = None,
                                      contact_ref: str | None = None) -> list[str]:
    """Every problem of the records a campaign names (its template checked against marketing's merge
    fields), each naming its field."""
    at, problems = f"campaign {key!r}", []
    if template_key is not None:
        template = await _template(session, org, template_key)
        if template is None:
            problems.append(f"{at}: field template: unknown template {template_key!r}")
        elif errors := template_problems(template.subject, template.body, marketing_fields.FIELDS):
            problems.append(f"{at}: field template {template_key!r}: {'; '.join(errors)}")
    if sender is not None and await _user(session, org, sender) is None:
        problems.append(f"{at}: field sender: {sender!r} is not a user of the organisation")
    return problems + await _missing(session, org, f"{at}: field ", (("account", account_ref, campaigns.account_id),
                                                                      ("contact", contact_ref, repository.contact)))


async def reference_problems(db: Database, org_slug: str, scenario_key: str | None = None, *,
                             campaign: dict[str, str | None] | None = None, contact_ref: str | None = None,
                             account_ref: str | None = None) -> list[str]:
    """For a request refused for its fields (the HTTP API's one 422): the problems of the records it
    names, an enrolment's (scenario, contact, account) or a campaign's (key, template, sender, account,
    contact)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        if campaign is not None:
            return await campaign_reference_problems(session, org, **campaign)
        return await _missing(session, org, "", (("scenario", scenario_key, repository.latest_scenario),
                                                 ("contact", contact_ref, repository.contact),
                                                 ("account", account_ref, campaigns.account_id)))


async def _missing(session: AsyncSession, org: Organisation, prefix: str, lookups) -> list[str]:
    """`prefix` + field: why, for each (field, reference, finder) whose reference is given and not found."""
    problems = []
    for field, ref, find in lookups:
        if ref is not None:
            try:
                await find(session, org, ref)
            except NotFound as exc:
                problems.append(f"{prefix}{field}: {exc}")
    return problems


async def _template(session: AsyncSession, org: Organisation, key: str) -> EmailTemplate | None:
    return (await session.exec(select(EmailTemplate).where(EmailTemplate.org_id == org.id,
                                                           EmailTemplate.key == key))).first()


async def _user(session: AsyncSession, org: Organisation, email: str) -> AppUser | None:
    return (await session.exec(select(AppUser).where(AppUser.org_id == org.id, AppUser.email == email))).first()
