"""Import of per-customer dunning: accounts' scenario and tags, the organisation's assignment rules."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Organisation, ScenarioRule
from relance.importing.format import AccountIn, DunningIn, OrganisationIn, ScenarioRuleIn
from relance.importing.references import unknown

ACCOUNT_COLUMNS = {"dunning_scenario": ("dunning_scenario_key",)}


def rule_problems(at: str, rule: ScenarioRuleIn, scenarios: set[str], tags: set[str]) -> list[str]:
    """A rule names its scenario, and either a tag some account carries or a range of the amount due."""
    problems = unknown(at, "scenario", rule.scenario, scenarios)
    ranged = rule.min_due is not None or rule.max_due is not None
    if (rule.tag is None) == (not ranged):
        problems.append(f"{at} › tag: give a tag or an amount range (min_due, max_due), not both nor neither")
    problems += unknown(at, "tag", rule.tag, tags, "tag (no account carries it)")
    if rule.min_due is not None and rule.max_due is not None and rule.min_due >= rule.max_due:
        problems.append(f"{at} › max_due: must be above min_due")
    return problems


def problems(where: str, org: OrganisationIn, scenarios: set[str], stored_tags: set[str]) -> list[str]:
    tags = stored_tags | {t for a in org.accounts for t in a.tags}
    found = [p for a in org.accounts for p in unknown(f"{where} › account {a.ref!r}", "dunning_scenario",
                                                      a.dunning_scenario, scenarios, "scenario")]
    return found + [p for n, rule in enumerate(org.dunning.scenario_rules, 1)
                    for p in rule_problems(f"{where} › dunning.scenario_rules[{n}]", rule, scenarios, tags)]


def account_values(a: AccountIn) -> dict:
    return dict(tags=sorted(set(a.tags)), dunning_scenario_key=a.dunning_scenario)


async def write_rules(session: AsyncSession, org: Organisation, d: DunningIn) -> None:
    """The rules the file gives replace the stored ones; a file that does not name them leaves them."""
    if "scenario_rules" not in d.model_fields_set:
        return
    await replace_rules(session, org.id, d.scenario_rules)


async def replace_rules(session: AsyncSession, org_id: int, rules: list[ScenarioRuleIn]) -> None:
    await session.exec(delete(ScenarioRule).where(ScenarioRule.org_id == org_id))
    for position, rule in enumerate(rules, 1):
        session.add(ScenarioRule(org_id=org_id, position=position, scenario_key=rule.scenario, tag=rule.tag,
                                 min_due=rule.min_due, max_due=rule.max_due))
    await session.flush()
