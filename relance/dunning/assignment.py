"""Which scenario a run takes when it starts: the account's own, else the organisation's first assignment
rule that matches (a tag the account carries, or the amount due within a range), else the default."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Organisation, Scenario, ScenarioPurpose, ScenarioRule

# Built once: every run's start reads them (bench/).
_RULES = select(ScenarioRule).where(ScenarioRule.org_id == bindparam("org_id")).order_by(ScenarioRule.position)
_NEWEST = (select(Scenario.id).where(Scenario.org_id == bindparam("org_id"), Scenario.key == bindparam("key"),
                                    Scenario.purpose == ScenarioPurpose.DUNNING)
           .order_by(Scenario.version.desc()).limit(1))


@dataclass(frozen=True)
class Choice:
    scenario_id: int
    why: str  # "account", "rule 2: tag vip", "default": shown on the run


def matches(rule: ScenarioRule, tags: list[str], amount_due: Decimal) -> bool:
    """A rule names a tag, or a range of the amount due (from min_due included to max_due excluded)."""
    if rule.tag is not None:
        return rule.tag in tags
    return (rule.min_due is None or amount_due >= rule.min_due) and (rule.max_due is None or amount_due < rule.max_due)


def describe(rule: ScenarioRule) -> str:
    if rule.tag is not None:
        return f"rule {rule.position}: tag {rule.tag}"
    low = "" if rule.min_due is None else f"{rule.min_due} <= "
    high = "" if rule.max_due is None else f" < {rule.max_due}"
    return f"rule {rule.position}: {low}amount due{high}"


async def choose(session: AsyncSession, org: Organisation, account: Account, amount_due: Decimal) -> Choice | None:
    """First match wins; None when nothing matches and the organisation has no default scenario. A key
    whose scenario was removed is passed over rather than failing the run."""
    candidates: list[tuple[str, str]] = []
    if account.dunning_scenario_key:
        candidates.append((account.dunning_scenario_key, f"account {account.ref}"))
    rules = (await session.exec(_RULES, params={"org_id": org.id})).all()
    candidates += [(rule.scenario_key, describe(rule)) for rule in rules if matches(rule, account.tags, amount_due)]
    for key, why in candidates:
        scenario_id = (await session.exec(_NEWEST, params={"org_id": org.id, "key": key})).first()
        if scenario_id is not None:
            return Choice(scenario_id, f"{why} (scenario {key})")
    return Choice(org.default_scenario_id, "default") if org.default_scenario_id is not None else None


async def dunning_scenario_keys(session: AsyncSession, org_id: int) -> set[str]:
    rows = await session.exec(select(func.distinct(Scenario.key)).where(
        Scenario.org_id == org_id, Scenario.purpose == ScenarioPurpose.DUNNING))
    return set(rows.all())
