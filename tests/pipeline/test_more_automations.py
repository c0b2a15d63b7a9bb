"""More automations (issue 26, part 3): update a field (an event of its own; a rule reacting to its own
update is stopped), remove a tag, assign in turn among users."""

import pytest
from sqlmodel import select

from models import AppUser, Opportunity
from relance.importing.importer import ImportRejected
from tests.pipeline.data import ADMIN, SALESPERSON, pipeline_org, rule


async def _opportunity(pipe, ref: str = "OPP-1") -> Opportunity:
    async with pipe.stack.db.session() as session:
        return (await session.exec(select(Opportunity).where(Opportunity.ref == ref))).one()


async def test_an_update_is_an_event_of_its_own_and_a_rule_reacting_to_its_own_update_is_stopped(pipe):
    to_r3 = rule("r2-to-r3", {"when": "enters_stage", "stage": "R2"},
                 {"do": "update_field", "field": "stage", "value": "R3"},
                 {"do": "update_field", "field": "amount", "value": "15000"}, {"do": "remove_tag", "tag": "chaud"})
    back = rule("r3-to-r2", {"when": "enters_stage", "stage": "R3"}, {"do": "update_field", "field": "stage",
                                                                       "value": "R2"})
    await pipe.load(rules=[to_r3, back], tags=["chaud", "froid"])
    await pipe.report("e1", stage="R2")
    lines = await pipe.settled()
    automations = [(line.text.split(":")[0], line.state) for line in lines if line.kind == "automation"]
    assert automations == [("r2-to-r3 v1 #1 update_field", "done"), ("r2-to-r3 v1 #2 update_field", "done"),
                           ("r2-to-r3 v1 #3 remove_tag", "done"), ("r3-to-r2 v1 #1 update_field", "done"),
                           ("r2-to-r3 v1 #1 update_field", "stopped"), ("r2-to-r3 v1 #2 update_field", "stopped"),
                           ("r2-to-r3 v1 #3 remove_tag", "stopped")]
    opp = await _opportunity(pipe)
    assert (opp.stage_key, opp.amount, opp.tags) == ("R2", 15000, ["froid"])
    assert "caused by r2-to-r3" in [line.text for line in lines if line.kind == "event"][1]


async def test_assign_in_turn_among_users(pipe):
    turn = rule("turn", {"when": "result", "result": "won"}, {"do": "assign", "users": [ADMIN, SALESPERSON]})
    await pipe.load(rules=[turn])
    chosen = []
    for n in range(3):
        await pipe.report(f"won-{n}", result="won")
        await pipe.report(f"open-{n}", result="open")
        await pipe.settled()
        async with pipe.stack.db.session() as session:
            chosen.append((await session.get(AppUser, (await _opportunity(pipe)).assigned_user_id)).email)
    assert chosen == [ADMIN, SALESPERSON, ADMIN]


async def test_an_update_to_a_value_the_field_cannot_take_is_refused_when_saved(pipe):
    bad = rule("bad", {"when": "result", "result": "won"}, {"do": "update_field", "field": "stage", "value": "R9"},
               {"do": "update_field", "field": "close_date", "value": "soon"},
               {"do": "assign", "users": ["ghost@example.com"]}, {"do": "remove_tag"})
    with pytest.raises(ImportRejected) as rejected:
        await pipe.stack.load(pipeline_org(pipe.stack.slug, rules=[bad]))
    problems = "\n".join(rejected.value.problems)
    for text in ["automation 1 (update_field) › value: unknown stage 'R9'",
                 "automation 2 (update_field) › value: 'soon' is not a date YYYY-MM-DD",
                 "automation 3 (assign) › users: 'ghost@example.com' is not a user",
                 "automation 4 (remove_tag) › tag: remove_tag needs it"]:
        assert text in problems
