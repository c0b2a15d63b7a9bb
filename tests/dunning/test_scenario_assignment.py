"""The scenario a run takes, chosen when it starts: the account's own, else the first assignment rule that
matches (a tag, a range of the amount due), else the organisation's default; shown on the run."""

import pytest
from sqlmodel import select

from models import Account, ScenarioRule
from relance import limits
from relance.importing.importer import ImportRejected
from relance.repository import NotFound
from starter.dunning import run_report
from starter.dunning_customer import AccountDunningChange, ScenarioRules, change_account, change_rules
from tests import factories as f
from workflows.dunning import InvoiceDunningWorkflow

NAMES = (("default", "Relances"), ("gentle", "Douce"), ("firm", "Ferme"), ("big", "Gros montants"))
SCENARIOS = [{"key": key, "name": name, "steps": f.ONE_REMINDER} for key, name in NAMES]
ACCOUNTS = [{"ref": ref, "name": f"Client {ref}", "email": f"{ref.lower()}@x.example.org", **extra}
            for ref, extra in (("C1", {"dunning_scenario": "gentle", "tags": ["vip"]}), ("C2", {"tags": ["vip"]}),
                               ("C3", {}), ("C4", {}))]
RULES = [{"tag": "vip", "scenario": "firm"}, {"min_due": "5000", "scenario": "big"}]


def assigned_org(stack, rules=RULES):
    invoices = [f.invoice("F-1", account="C1"), f.invoice("F-2", account="C2"),
                f.invoice("F-3", account="C3", amount_excl_tax="6000.00", amount_incl_tax="7200.00"),
                f.invoice("F-4", account="C4")]
    return stack.org(scenarios=SCENARIOS, accounts=ACCOUNTS, invoices=invoices,
                     dunning={"scenario_rules": rules})


async def test_scenario_by_account_then_tag_then_amount_then_default(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(assigned_org(stack))
    for number, customer in (("F-1", "C1"), ("F-2", "C2"), ("F-3", "C3"), ("F-4", "C4")):
        await (await stack.start(number, customer)).result()

    async def shown(number):
        return (await run_report(lambda: stack.client, stack.db, stack.slug, number)).scenario

    assert await shown("F-1") == "Douce (gentle v1), chosen by account C1 (scenario gentle)"
    assert await shown("F-2") == "Ferme (firm v1), chosen by rule 1: tag vip (scenario firm)"
    assert await shown("F-3") == "Gros montants (big v1), chosen by rule 2: 5000.00 <= amount due (scenario big)"
    assert await shown("F-4") == "Relances (default v1), chosen by default"
    assert len(stack.sent()) == 4


async def test_the_running_run_shows_its_scenario_and_why(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(assigned_org(stack))
    handle = await stack.start("F-2", "C2")
    description = await stack.advance_until(lambda: _details(stack, handle.id))
    assert "Ferme (v1) (chosen by rule 1: tag vip (scenario firm))" in description
    await handle.result()


async def _details(stack, workflow_id):
    """The run's own answer (its progress query), once it has loaded its plan."""
    progress = await stack.client.get_workflow_handle(workflow_id).query(InvoiceDunningWorkflow.progress)
    return f"{progress.plan.scenario_name} (chosen by {progress.plan.scenario_choice})" if progress.plan else None


async def test_unknown_scenario_or_tag_is_refused_naming_the_field_and_nothing_written(stack):
    await stack.load(stack.org())
    bad_account = [{**ACCOUNTS[3], "dunning_scenario": "nope"}]
    with pytest.raises(ImportRejected) as refused:
        await stack.load(stack.org(accounts=bad_account, dunning={"scenario_rules": [{"tag": "ghost",
                                                                                        "scenario": "default"}]}))
    assert f"organisation {stack.slug!r} › account 'C4' › dunning_scenario: unknown scenario 'nope'" in \
        refused.value.problems
    assert (f"organisation {stack.slug!r} › dunning.scenario_rules[1] › tag: unknown tag (no account carries it) "
            "'ghost'") in refused.value.problems
    with pytest.raises(limits.Refused, match=r"account 'C1' › scenario: unknown scenario 'nope'"):
        await change_account(stack.db, stack.slug, "C1", AccountDunningChange(scenario="nope"))
    with pytest.raises(NotFound, match="account 'C9'"):
        await change_account(stack.db, stack.slug, "C9", AccountDunningChange(tags=["vip"]))
    with pytest.raises(limits.Refused, match=r"rules\[1\] › tag: unknown tag"):
        await change_rules(stack.db, stack.slug, ScenarioRules(rules=[{"tag": "vip", "scenario": "default"}]))
    async with stack.db.session() as session:
        assert (await session.exec(select(ScenarioRule))).all() == []
        accounts = (await session.exec(select(Account))).all()
    assert [(a.ref, a.tags, a.dunning_scenario_key) for a in accounts] == [("C1", [], None)]


async def test_account_and_rules_set_through_the_starter_take_effect_on_the_next_run(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(assigned_org(stack, rules=[]))
    saved = await change_account(stack.db, stack.slug, "C4", AccountDunningChange(tags=["late", "late"]))
    assert (saved.scenario, saved.tags) == (None, ["late"])
    await change_rules(stack.db, stack.slug, ScenarioRules(rules=[{"tag": "late", "scenario": "firm"}]))
    await (await stack.start("F-4", "C4")).result()
    report = await run_report(lambda: stack.client, stack.db, stack.slug, "F-4")
    assert report.scenario == "Ferme (firm v1), chosen by rule 1: tag late (scenario firm)"
