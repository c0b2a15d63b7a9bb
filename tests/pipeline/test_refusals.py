"""Bad input is refused with every field named and nothing written: an event (unknown opportunity,
stage, action type, user; malformed) and a sales process in the import file."""

import pytest
from sqlmodel import select

from models import Opportunity, PipelineEvent
from relance.importing.importer import ImportRejected
from starter import pipeline
from tests.pipeline.data import OPP, pipeline_org, rule


@pytest.mark.parametrize(("body", "named"), [
    ({"opportunity": "NOPE", "kind": "opportunity", "stage": "R2"}, ["opportunity: opportunity 'NOPE'"]),
    ({"opportunity": OPP, "kind": "opportunity", "stage": "R9"}, ["stage: unknown stage 'R9' of process 'sales'"]),
    ({"opportunity": OPP, "kind": "action", "action": "A1", "action_type": "lunch"},
     ["action_type: unknown action type 'lunch'"]),
    ({"opportunity": OPP, "kind": "opportunity", "assigned_to": "nobody@example.com"},
     ["assigned_to: 'nobody@example.com' is not a user"]),
    ({"opportunity": OPP, "kind": "opportunity", "result": "maybe"}, ["result: Input should be"]),
    ({"opportunity": OPP, "kind": "quote", "quote_state": "sent", "stage": "R2"},
     ["stage: a quote event does not carry it", "quote: a quote event needs it"]),
    ({"opportunity": OPP, "kind": "meeting"}, ["kind: Input should be"]),
    ({"opportunity": OPP, "kind": "opportunity", "colour": "red"}, ["colour: Extra inputs are not permitted"]),
    ({"kind": "opportunity"}, ["event_id: Field required", "opportunity: Field required"]),
], ids=["opportunity", "stage", "action_type", "assigned_to", "result", "kind_fields", "kind", "extra", "missing"])
async def test_a_bad_event_is_refused_naming_each_field_and_nothing_is_written(pipe, body, named):
    await pipe.load()
    s = pipe.stack
    with pytest.raises(pipeline.EventRefused) as refused:
        await pipeline.report_event(s.client, s.db, s.task_queue, s.slug, {"event_id": "bad", **body}
                                    if "event_id" not in body and "opportunity" in body else body)
    for text in named:
        assert text in str(refused.value)
    async with s.db.session() as session:
        assert (await session.exec(select(PipelineEvent))).all() == []
        assert (await session.exec(select(Opportunity))).one().stage_key == "R1"
    assert s.sent() == []


async def test_a_sales_process_with_bad_rules_is_refused_with_every_problem_named(pipe):
    bad = pipeline_org(pipe.stack.slug, rules=[
        rule("r1", {"when": "enters_stage", "stage": "R9"},
             {"do": "create_action", "type": "lunch", "title": "x", "assignee": "nobody@example.com",
              "due_in_days": 0},
             {"do": "send_email", "to": "[[!AssignedToId]]", "sender": "ghost@example.com", "template": "nope"},
             {"do": "enrol", "scenario": "unknown"}, {"do": "add_tag"}),
        rule("r2", {"when": "stage_change", "from": "R1"}, {"do": "notify", "text": "hi", "tag": "x"}),
    ], stage="R7")
    with pytest.raises(ImportRejected) as rejected:
        await pipe.stack.load(bad)
    problems = "\n".join(rejected.value.problems)
    for text in ["rule 'r1' › trigger.stage: unknown stage 'R9'",
                 "automation 1 (create_action) › type: unknown action type 'lunch'",
                 "automation 1 (create_action) › assignee: 'nobody@example.com' is neither",
                 "automation 2 (send_email) › template: unknown template 'nope'",
                 "automation 2 (send_email) › sender: 'ghost@example.com' is not a user",
                 "automation 3 (enrol) › scenario: unknown marketing scenario 'unknown'",
                 "automation 4 (add_tag) › tag: add_tag needs it",
                 "rule 'r2' › trigger.to: trigger stage_change needs it",
                 "automation 1 (notify) › tag: notify does not use it",
                 "opportunity 'OPP-1' › stage: unknown stage 'R7'"]:
        assert text in problems
    async with pipe.stack.db.session() as session:
        assert (await session.exec(select(Opportunity))).all() == []
