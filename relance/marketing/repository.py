"""The marketing domain's reads: a contact with everything a decision needs, the scenario it is in,
the contacts a batch enrols.

contact_file and recipient_file are the only reads behind the re-checks (rules.exit_reason and
campaign_skip_reason), the suppression list included."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Contact, Organisation, Scenario, ScenarioPurpose, Suppression
from relance.marketing.rules import ContactFacts
from relance.repository import NotFound, organisation  # noqa: F401  (one module for the domain's reads)


@dataclass
class ContactFile:
    """A contact (None when deleted from the database), its account, and the latest version of the
    marketing scenario it is about (None when there is no such scenario)."""

    org: Organisation
    contact: Contact | None
    account: Account | None
    scenario: Scenario | None
    suppressed: bool = False  # the contact's address is on the suppression list (bounce, complaint)

    @property
    def facts(self) -> ContactFacts:
        return ContactFacts.of(self.contact, self.scenario, self.suppressed)


_LATEST_SCENARIO = (
    select(Scenario).where(Scenario.org_id == bindparam("org_id"), Scenario.key == bindparam("key"),
                           Scenario.purpose == ScenarioPurpose.MARKETING)
    .order_by(col(Scenario.version).desc()).limit(1)
)
_CONTACT = (
    select(Contact, Account).join(Account, Account.id == Contact.account_id)
    .where(Contact.org_id == bindparam("org_id"), Contact.ref == bindparam("ref"))
)


async def contact_file(session: AsyncSession, org_slug: str, contact_ref: str, scenario_key: str) -> ContactFile:
    """The one read behind every re-check (rules.exit_reason)."""
    org = await organisation(session, org_slug)
    row = (await session.exec(_CONTACT, params={"org_id": org.id, "ref": contact_ref})).first()
    scenario = (await session.exec(_LATEST_SCENARIO, params={"org_id": org.id, "key": scenario_key})).first()
    contact, account = row if row else (None, None)
    return ContactFile(org, contact, account, scenario, await _suppressed(session, contact))


async def enrolment_file(session: AsyncSession, org_slug: str, contact_ref: str, scenario_key: str) -> ContactFile:
    """contact_file for enrolling (or previewing): NotFound names the scenario or contact missing."""
    file = await contact_file(session, org_slug, contact_ref, scenario_key)
    if file.scenario is None:
        raise NotFound(f"marketing scenario {scenario_key!r} of organisation {org_slug!r} not found")
    if file.contact is None:
        raise NotFound(f"contact {contact_ref!r} of organisation {org_slug!r} not found")
    return file


async def recipient_file(session: AsyncSession, contact_id: int) -> ContactFile:
    """A campaign recipient's file (no scenario): the read behind rules.campaign_skip_reason."""
    contact = await session.get(Contact, contact_id)
    return ContactFile(await session.get(Organisation, contact.org_id), contact,
                       await session.get(Account, contact.account_id), None, await _suppressed(session, contact))


async def _suppressed(session: AsyncSession, contact: Contact | None) -> bool:
    """Any suppression stops marketing: a hard bounce, and a complaint (marketing is no legal notice)."""
    if contact is None or not contact.email:
        return False
    return await session.get(Suppression, contact.email.lower()) is not None


async def latest_scenario(session: AsyncSession, org: Organisation, scenario_key: str) -> Scenario:
    scenario = (await session.exec(_LATEST_SCENARIO, params={"org_id": org.id, "key": scenario_key})).first()
    if scenario is None:
        raise NotFound(f"marketing scenario {scenario_key!r} of organisation {org.slug!r} not found")
    return scenario


async def contact(session: AsyncSession, org: Organisation, contact_ref: str) -> Contact:
    found = (await session.exec(select(Contact).where(Contact.org_id == org.id, Contact.ref == contact_ref))).first()
    if found is None:
        raise NotFound(f"contact {contact_ref!r} of organisation {org.slug!r} not found")
    return found


async def contact_refs(session: AsyncSession, org: Organisation, *, tag: str | None = None,
                       account_ref: str | None = None) -> list[str]:
    """The contacts of a batch, by tag or account, in a stable order."""
    query = select(Contact.ref).where(Contact.org_id == org.id, col(Contact.deleted_at).is_(None))
    if tag is not None:
        query = query.where(col(Contact.tags).contains([tag]))
    if account_ref is not None:
        account = (await session.exec(select(Account).where(Account.org_id == org.id,
                                                             Account.ref == account_ref))).first()
        if account is None:
            raise NotFound(f"account {account_ref!r} of organisation {org.slug!r} not found")
        query = query.where(Contact.account_id == account.id)
    return list((await session.exec(query.order_by(Contact.id))).all())
