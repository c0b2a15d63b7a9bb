"""What an organisation already has that an import file may name without repeating it: a file changes
what it names, so its references (an invoice's account, a scenario's template, the dunning sender, ...)
reach the stored records as well as the file's own."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Account,
    ActionType,
    Agency,
    AgencyKindSetting,
    AgencyTemplate,
    AppUser,
    Contact,
    EmailTemplate,
    Organisation,
    ProcessStage,
    Property,
    RenewalSettings,
    SalesProcess,
    Scenario,
    ScenarioPurpose,
    WebhookEndpoint,
)
from relance.importing.format import RenewalsIn


@dataclass
class StoredAgency:
    properties: dict[str, int] = field(default_factory=dict)  # ref -> id
    kinds: dict[str, bool] = field(default_factory=dict)  # kind -> enabled
    templated: set[str] = field(default_factory=set)  # the kinds with a template


@dataclass
class Stored:
    organisation: Organisation | None = None
    users: dict[str, AppUser] = field(default_factory=dict)
    templates: dict[str, EmailTemplate] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)  # the latest version of each key
    accounts: dict[str, Account] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    renewal_settings: RenewalSettings | None = None
    stages: dict[str, list[str]] = field(default_factory=dict)  # each sales process's stages, in order
    action_types: set[str] = field(default_factory=set)
    agencies: dict[str, StoredAgency] = field(default_factory=dict)  # by slug
    endpoints: set[str] = field(default_factory=set)  # each webhook endpoint's id (as text) and URL, if on

    def scenario_keys(self, purpose: str) -> set[str]:
        return {key for key, s in self.scenarios.items() if s.purpose == purpose}

    @property
    def dunning_scenarios(self) -> set[str]:
        return self.scenario_keys(ScenarioPurpose.DUNNING)

    @property
    def contact_accounts(self) -> dict[str, str]:
        """Each stored contact's ref -> its account's ref."""
        refs = {a.id: ref for ref, a in self.accounts.items()}
        return {ref: refs[c.account_id] for ref, c in self.contacts.items()}

    @property
    def renewals(self) -> RenewalsIn | None:
        """The stored renewal settings as the file writes them (template and sender by name)."""
        r = self.renewal_settings
        if r is None:
            return None
        return RenewalsIn(enabled=r.enabled, alert_days=r.alert_days,
                          template=next((k for k, t in self.templates.items() if t.id == r.template_id), None),
                          sender=next((e for e, u in self.users.items() if u.id == r.sender_user_id), None))


async def load_stored(session: AsyncSession, slug: str) -> Stored:
    org = (await session.exec(select(Organisation).where(Organisation.slug == slug))).first()
    if org is None:
        return Stored()

    async def rows(model, key: str) -> dict:
        return {getattr(row, key): row for row in (await session.exec(select(model).where(model.org_id == org.id)))}

    latest = {}
    for scenario in await session.exec(select(Scenario).where(Scenario.org_id == org.id).order_by(Scenario.version)):
        latest[scenario.key] = scenario
    stages: dict[str, list[str]] = {}
    for process, stage in await session.exec(select(SalesProcess.key, ProcessStage.key).join(
            ProcessStage, ProcessStage.process_id == SalesProcess.id).where(SalesProcess.org_id == org.id)
            .order_by(ProcessStage.position)):
        stages.setdefault(process, []).append(stage)
    agencies: dict[str, StoredAgency] = {}
    for slug, ref, property_id in await session.exec(select(Agency.slug, Property.ref, Property.id).join(
            Property, Property.agency_id == Agency.id).where(Agency.org_id == org.id)):
        agencies.setdefault(slug, StoredAgency()).properties[ref] = property_id
    for slug, kind, enabled in await session.exec(select(Agency.slug, AgencyKindSetting.kind, AgencyKindSetting.enabled)
                                                  .join(AgencyKindSetting, AgencyKindSetting.agency_id == Agency.id)
                                                  .where(Agency.org_id == org.id)):
        agencies.setdefault(slug, StoredAgency()).kinds[kind] = enabled
    for slug, kind in await session.exec(select(Agency.slug, AgencyTemplate.kind).join(
            AgencyTemplate, AgencyTemplate.agency_id == Agency.id).where(Agency.org_id == org.id)):
        agencies.setdefault(slug, StoredAgency()).templated.add(kind)
    return Stored(organisation=org, agencies=agencies, users=await rows(AppUser, "email"),
                  templates=await rows(EmailTemplate, "key"),
                  scenarios=latest, accounts=await rows(Account, "ref"), contacts=await rows(Contact, "ref"),
                  renewal_settings=await session.get(RenewalSettings, org.id), stages=stages,
                  action_types=set(await session.exec(select(ActionType.key).where(ActionType.org_id == org.id))),
                  endpoints={str(value) for row in await session.exec(select(WebhookEndpoint.id, WebhookEndpoint.url)
                                                                      .where(WebhookEndpoint.org_id == org.id,
                                                                             WebhookEndpoint.enabled))
                             for value in row})
