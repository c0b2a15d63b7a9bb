"""Per-customer dunning settings through the API and the CLI: an account's scenario and tags, the
organisation's ordered assignment rules. Checked like the import (same messages), all or nothing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlmodel import select

from models import Account, ScenarioRule
from relance import limits
from relance.db import Database
from relance.dunning import repository
from relance.dunning.assignment import dunning_scenario_keys
from relance.dunning.statement import account_row
from relance.importing.customer_dunning import replace_rules, rule_problems
from relance.importing.format import Identifier, ScenarioRuleIn, Tag


class AccountDunning(BaseModel):
    account: str
    scenario: str | None = Field(description="the account's own dunning scenario; null: the rules and the default")
    tags: list[str]


class AccountDunningChange(BaseModel):
    """Only the fields given change; `scenario: null` clears the account's own scenario."""

    model_config = ConfigDict(extra="forbid")
    scenario: Identifier | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)


class ScenarioRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[ScenarioRuleIn] = Field(max_length=100, description="ordered, the first that matches wins")


async def change_account(db: Database, org_slug: str, ref: str, change: AccountDunningChange) -> AccountDunning:
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        account = await account_row(session, org.id, org_slug, ref)
        given = change.model_fields_set
        if "scenario" in given:
            if change.scenario is not None and change.scenario not in await dunning_scenario_keys(session, org.id):
                raise limits.Refused(f"account {ref!r} › scenario: unknown scenario {change.scenario!r}")
            account.dunning_scenario_key = change.scenario
        if "tags" in given:
            account.tags = sorted(set(change.tags or []))
        session.add(account)
        await session.flush()
        return AccountDunning(account=account.ref, scenario=account.dunning_scenario_key, tags=account.tags)


async def read_rules(db: Database, org_slug: str) -> ScenarioRules:
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        rows = (await session.exec(select(ScenarioRule).where(ScenarioRule.org_id == org.id)
                                   .order_by(ScenarioRule.position))).all()
    return ScenarioRules(rules=[ScenarioRuleIn(scenario=r.scenario_key, tag=r.tag, min_due=r.min_due,
                                               max_due=r.max_due) for r in rows])


async def change_rules(db: Database, org_slug: str, rules: ScenarioRules) -> ScenarioRules:
    """The list replaces the stored one ([] clears it); a rule naming an unknown scenario, or a tag no
    account carries, refuses the whole list."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        scenarios = await dunning_scenario_keys(session, org.id)
        tags = set((await session.exec(select(func.unnest(Account.tags)).where(Account.org_id == org.id))).all())
        problems = [p for n, rule in enumerate(rules.rules, 1)
                    for p in rule_problems(f"rules[{n}]", rule, scenarios, tags)]
        if problems:
            raise limits.Refused("; ".join(problems))
        await replace_rules(session, org.id, rules.rules)
    return rules
