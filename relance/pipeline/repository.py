"""The pipeline domain's reads: an opportunity with everything an automation needs, its process's
stages, the rule versions an event is handled by, the organisation's action types and users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Account,
    ActionType,
    AppUser,
    Contact,
    Opportunity,
    Organisation,
    PipelineRule,
    ProcessStage,
    SalesProcess,
)
from relance.repository import NotFound, organisation  # noqa: F401  (one module for the domain's reads)


@dataclass
class OpportunityFile:
    org: Organisation
    opportunity: Opportunity
    process: SalesProcess
    assigned: AppUser | None
    account: Account | None
    contact: Contact | None


async def opportunity_file(session: AsyncSession, org_slug: str, ref: str, *, lock: bool = False) -> OpportunityFile:
    """`lock`: the row is locked for the transaction (the event that changes it)."""
    org = await organisation(session, org_slug)
    query = select(Opportunity).where(Opportunity.org_id == org.id, Opportunity.ref == ref)
    opp = (await session.exec(query.with_for_update() if lock else query)).first()
    if opp is None:
        raise NotFound(f"opportunity {ref!r} of organisation {org.slug!r} not found")
    process = await session.get(SalesProcess, opp.process_id)
    return OpportunityFile(
        org, opp, process,
        await session.get(AppUser, opp.assigned_user_id) if opp.assigned_user_id else None,
        await session.get(Account, opp.account_id) if opp.account_id else None,
        await session.get(Contact, opp.contact_id) if opp.contact_id else None)


async def stages(session: AsyncSession, process_id: int) -> list[str]:
    return list((await session.exec(select(ProcessStage.key).where(ProcessStage.process_id == process_id)
                                    .order_by(ProcessStage.position))).all())


async def action_types(session: AsyncSession, org_id: int) -> list[str]:
    return list((await session.exec(select(ActionType.key).where(ActionType.org_id == org_id)
                                    .order_by(ActionType.key))).all())


async def user_by_email(session: AsyncSession, org_id: int, email: str) -> AppUser | None:
    return (await session.exec(select(AppUser).where(AppUser.org_id == org_id, AppUser.email == email))).first()


async def latest_rule_id(session: AsyncSession, org_id: int) -> int:
    """The watermark an event is reported with: the rule versions that exist now."""
    return (await session.exec(select(func.coalesce(func.max(PipelineRule.id), 0)).where(
        PipelineRule.org_id == org_id))).one()


async def rules_as_of(session: AsyncSession, process_id: int, upto: int) -> list[PipelineRule]:
    """Each rule of the process as its latest version with an id up to `upto`: the rules as they were when
    the event was reported (a version saved later does not handle it). Switched-off ones included."""
    rows = (await session.exec(select(PipelineRule).where(PipelineRule.process_id == process_id,
                                                          col(PipelineRule.id) <= upto)
                               .order_by(PipelineRule.key, col(PipelineRule.version).desc()))).all()
    latest: dict[str, PipelineRule] = {}
    for row in rows:
        latest.setdefault(row.key, row)
    # A rule keeps the place of its first version: rules run in the order they were created.
    first = {}
    for row in rows:
        first[row.key] = min(first.get(row.key, row.id), row.id)
    return sorted(latest.values(), key=lambda r: first[r.key])


async def current_rules(session: AsyncSession, org_id: int) -> list[tuple[SalesProcess, PipelineRule]]:
    """Each rule of each process of the organisation as its latest version, in the order they run."""
    processes = (await session.exec(select(SalesProcess).where(SalesProcess.org_id == org_id)
                                    .order_by(SalesProcess.key))).all()
    upto = await latest_rule_id(session, org_id)
    found = []
    for process in processes:
        found += [(process, rule) for rule in await rules_as_of(session, process.id, upto)]
    return found


async def switch_rule(session: AsyncSession, org_id: int, process_key: str, rule_key: str,
                      enabled: bool) -> PipelineRule:
    """Switch a rule on or off as a new version (events reported before keep the version they were
    reported under); the rule as it is when it already was so."""
    process = (await session.exec(select(SalesProcess).where(SalesProcess.org_id == org_id,
                                                             SalesProcess.key == process_key)
                                  .with_for_update())).first()  # two switches at once: one after the other
    if process is None:
        raise NotFound(f"process {process_key!r} not found")
    latest = (await session.exec(select(PipelineRule).where(
        PipelineRule.process_id == process.id, PipelineRule.key == rule_key)
        .order_by(col(PipelineRule.version).desc()))).first()
    if latest is None:
        raise NotFound(f"rule {rule_key!r} of process {process_key!r} not found")
    if latest.enabled == enabled:
        return latest
    row = PipelineRule(org_id=org_id, process_id=process.id, key=rule_key, version=latest.version + 1,
                       name=latest.name, enabled=enabled, trigger=latest.trigger, condition=latest.condition,
                       automations=latest.automations)
    session.add(row)
    await session.flush()
    return row
