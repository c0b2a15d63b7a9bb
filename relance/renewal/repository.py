"""The renewal domain's reads: a contract with everything a notice needs, the contracts inspected."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Contact, Contract, ContractStatus, Organisation, RenewalSettings
from relance.renewal.terms import Period
from relance.repository import NotFound, account_refs, organisation  # noqa: F401  (one module for the domain's reads)


@dataclass
class ContractFile:
    """A contract with everything a renewal decision needs."""

    org: Organisation
    settings: RenewalSettings
    contract: Contract
    account: Account
    billing_contact: Contact | None


async def renewal_settings(session: AsyncSession, org: Organisation) -> RenewalSettings:
    """An organisation never configured has renewals off."""
    return await session.get(RenewalSettings, org.id) or RenewalSettings(org_id=org.id)


async def contract_file(session: AsyncSession, org_slug: str, ref: str) -> ContractFile:
    org = await organisation(session, org_slug)
    contract = (await session.exec(select(Contract).where(Contract.org_id == org.id, Contract.ref == ref))).first()
    if contract is None:
        raise NotFound(f"contract {ref!r} of organisation {org_slug!r} not found")
    account = await session.get(Account, contract.account_id)
    contact = await session.get(Contact, contract.billing_contact_id) if contract.billing_contact_id else None
    return ContractFile(org, await renewal_settings(session, org), contract, account, contact)


async def renewal_contracts(session: AsyncSession, org_id: int, after_id: int = 0,
                            limit: int | None = None) -> list[Contract]:
    """The contracts seed 000 inspects: not settled, commitment period not monthly; by id."""
    return list((await session.exec(
        select(Contract)
        .where(Contract.org_id == org_id, Contract.id > after_id, Contract.status != ContractStatus.SETTLED,
               Contract.period != Period.MONTHLY)
        .order_by(Contract.id)
        .limit(limit)
    )).all())
