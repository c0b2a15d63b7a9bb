"""Conditions on triggers (issue 26, part 1): a rule runs only when its condition holds on the
opportunity as the event left it; the verdict and why are kept with the event (a later change never
alters it); a condition naming a field the opportunity lacks does not hold, is recorded, and the next
rules still run; a bad condition is refused with every problem named; the dry run says why."""

import pytest
from sqlmodel import select

from models import Opportunity
from relance import conditions
from relance.importing.format import condition_vocabulary
from relance.importing.importer import ImportRejected
from starter import pipeline
from tests.pipeline.data import ADMIN, SALESPERSON, pipeline_org, rule

BIG = {"and": [{"field": "amount", "gt": 10000}, {"field": "tags", "contains": "grand-compte"}]}
CALL = {"do": "create_action", "type": "call", "title": "Appeler le client", "assignee": ADMIN, "due_in_days": 1}
NOTE = {"do": "notify", "text": "Gagnée"}


def big_won(condition=BIG):
    return {**rule("big-won", {"when": "result", "result": "won"}, CALL), "condition": condition}


def test_a_condition_reads_as_a_sentence_in_french_and_english():
    words = condition_vocabulary()
    cond = conditions.normalised({"or": [BIG, {"not": {"field": "stage", "in": ["R1", "R2"]}}]})
    assert conditions.sentence(cond, words, "en") == (
        "(the amount is over 10000 and the tags contains grand-compte) or not (the stage is one of R1, R2)")
    assert conditions.sentence(cond, words, "fr") == (
        "(le montant est supérieur à 10000 et les tags contient grand-compte) ou non (l'étape est parmi R1, R2)")


def test_a_missing_field_does_not_hold_unless_the_other_side_decides():
    words = condition_vocabulary()
    no_date = {"field": "close_date", "lt": "2027-01-01"}
    verdict = conditions.evaluate(no_date, {"close_date": None}, words)
    assert verdict.held is None and not verdict.holds and "close date: missing" in verdict.why
    assert conditions.evaluate({"not": no_date}, {}, words).held is None  # not unknown is still unknown
    untagged = conditions.evaluate({"not": {"field": "tags", "contains": "perdu"}}, {"tags": []}, words)
    assert untagged.holds, "no tags is known: it contains nothing (a rule on 'not tagged X' fires)"
    assert conditions.evaluate({"or": [no_date, {"field": "result", "is": "won"}]}, {"result": "won"}, words).holds
    assert conditions.evaluate({"and": [no_date, {"field": "result", "is": "won"}]}, {"result": "lost"},
                               words).held is False
    assert conditions.evaluate({"field": "custom.segment", "in": ["pme", "eti"]}, {"custom": {"segment": "eti"}},
                               words).holds


async def test_the_rule_runs_only_when_its_condition_holds_on_the_opportunity_as_the_event_left_it(pipe):
    await pipe.load(rules=[big_won()], tags=["grand-compte"], amount="8000")
    ack = await pipe.report("e1", result="won", amount="12000")  # the event's own amount counts
    assert [o.split(":")[0] for o in ack.outcomes] == ["big-won #1 create_action"]
    await pipe.report("e2", result="open")
    ack = await pipe.report("e3", result="won", amount="9000")
    assert ack.outcomes == []
    lines = [line for line in await pipe.settled() if line.kind == "condition"]
    assert [(line.state, line.text.split(":")[0]) for line in lines] == [("held", "big-won v1"),
                                                                          ("not held", "big-won v1")]
    assert "le montant est supérieur à 10000: faux (9000)" in lines[1].text
    assert len(await pipe.actions()) == 1


async def test_a_later_change_never_alters_the_verdict_of_an_earlier_event(pipe):
    await pipe.load(rules=[big_won()], tags=["grand-compte"], amount="20000")
    await pipe.report("e1", result="won")
    await pipe.report("e2", amount="100")
    [line] = [line for line in await pipe.settled() if line.kind == "condition"]
    assert line.state == "held" and "20000" in line.text


async def test_a_condition_on_a_missing_field_is_recorded_and_the_next_rules_still_run(pipe):
    dated = {**rule("dated", {"when": "result", "result": "won"}, NOTE),
             "condition": {"field": "close_date", "lt": "2027-01-01"}}
    await pipe.load(rules=[dated, rule("always", {"when": "result", "result": "won"}, CALL)])
    ack = await pipe.report("e1", result="won")
    assert [o.split(":")[0] for o in ack.outcomes] == ["always #1 create_action"]
    [line] = [line for line in await pipe.settled() if line.kind == "condition"]
    assert line.state == "unknown" and "la date de clôture: absent" in line.text


async def test_event_fields_salesperson_and_custom_fields_can_be_named(pipe):
    cond = {"and": [{"field": "event.action_type", "is": "call"}, {"field": "salesperson", "is": SALESPERSON},
                    {"field": "custom.segment", "in": ["eti", "ge"]}]}
    await pipe.load(rules=[{**rule("paul-call", {"when": "action_closed", "type": "call"}, NOTE), "condition": cond}])
    await pipe.report("e0", custom={"segment": "eti"}, close_on="2027-03-31")
    await pipe.report("e1", kind="action", action="A1", action_type="call", action_state="closed")
    assert [feed.text for feed in await pipeline.feed(pipe.stack.db, pipe.stack.slug, "OPP-1")] == ["Gagnée"]
    async with pipe.stack.db.session() as session:
        opp = (await session.exec(select(Opportunity))).one()
    assert opp.custom == {"segment": "eti"} and str(opp.close_on) == "2027-03-31"


async def test_the_dry_run_says_whether_each_condition_held_and_why(pipe):
    await pipe.load(rules=[big_won()], tags=["grand-compte"], amount="12000")
    result = await pipeline.dry_run(pipe.stack.db, pipe.stack.slug,
                                    {"event_id": "d1", "opportunity": "OPP-1", "kind": "opportunity",
                                     "result": "won", "amount": "500"})
    [check] = result.conditions
    assert (check.rule, check.held) == ("big-won", False)
    assert "500" in check.why and "montant" in check.condition
    assert result.lines == []
    async with pipe.stack.db.session() as session:  # nothing written
        assert (await session.exec(select(Opportunity))).one().amount == 12000
    lines = await pipeline.current_rules(pipe.stack.db, pipe.stack.slug)
    assert lines[0].condition == "le montant est supérieur à 10000 et les tags contient grand-compte"


async def test_a_bad_condition_is_refused_with_every_problem_named(pipe):
    bad = {"and": [{"field": "amount", "gt": "lots"}, {"field": "colour", "is": "red"},
                   {"field": "stage", "in": ["R9"]}, {"field": "result", "is": "won", "gt": 1},
                   {"or": []}, {"field": "tags", "is": "x"}]}
    with pytest.raises(ImportRejected) as rejected:
        await pipe.stack.load(pipeline_org(pipe.stack.slug, rules=[big_won(bad)]))
    problems = "\n".join(rejected.value.problems)
    for text in ["condition › and[1] › gt: 'lots' is not a number (amount)",
                 "condition › and[2] › field: unknown field 'colour'",
                 "condition › and[3] › in: 'R9' is not a known the stage (R1, R2, R3)",
                 "condition › and[4]: exactly one comparison",
                 "condition › and[5] › or: a non-empty list of conditions",
                 "condition › and[6] › is: tags is a list; use contains"]:
        assert text in problems
