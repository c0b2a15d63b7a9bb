"""One opportunity's events: a burst handled strictly in order, an event delivered twice handled once,
continue-as-new under a stream keeping the dedupe state and what is queued, a rule edited while events
are in flight (each event keeps the rule version it was reported under)."""

import asyncio

from sqlmodel import select

from models import PipelineEvent, PipelineRule
from tests.pipeline.data import pipeline_org, rule

STAGES = ["R2", "R3", "R1"]


def _note(text: str) -> dict:
    return {"do": "notify", "text": text}


async def _events(stack) -> list[PipelineEvent]:
    async with stack.db.session() as session:
        return list((await session.exec(select(PipelineEvent).order_by(PipelineEvent.id))).all())


async def test_twenty_events_in_a_burst_are_handled_in_the_order_received(pipe):
    await pipe.load(rules=[rule("moves", {"when": "enters_stage", "stage": "R3"}, _note("in R3"))])
    acks = []
    for n in range(20):  # sent back to back, without waiting for any to be handled
        acks.append(await pipe.report(f"b{n:02}", wait=False, stage=STAGES[n % 3]))
    assert {a.status for a in acks} == {"accepted"}
    await pipe.settled()
    events = await _events(pipe.stack)
    assert [e.event_id for e in events] == [f"b{n:02}" for n in range(20)]
    # Each transition from the stage the previous event left: R1→R2, R2→R3, R3→R1, ...
    expected_from = ["R1"] + [STAGES[n % 3] for n in range(19)]
    assert [e.transitions[1] for e in events] == [f"stage_change {a} → {b}" for a, b in
                                                  zip(expected_from, [STAGES[n % 3] for n in range(20)], strict=True)]
    assert len(await pipe.automations()) == 7  # entered R3 on events 1, 4, 7, ..., 19


async def test_the_same_event_delivered_twice_is_handled_once(pipe):
    await pipe.load()
    first = await pipe.report("e1", stage="R2")
    again = await pipe.report("e1", stage="R2")
    assert (first.status, again.status) == ("handled", "duplicate")
    concurrent = await asyncio.gather(*(pipe.report("e2", result="won", wait=False) for _ in range(5)))
    assert sorted(a.status for a in concurrent) == ["accepted"] + ["duplicate"] * 4
    await pipe.settled()
    assert len(pipe.stack.sent()) == 1
    assert len(await pipe.actions()) == 1
    assert [e.event_id for e in await _events(pipe.stack)][:2] == ["e1", "e2"]


async def test_continue_as_new_under_a_stream_keeps_dedupe_state_and_queued_events(pipe):
    await pipe.load(rules=[rule("moves", {"when": "enters_stage", "stage": "R2"}, _note("in R2"))])
    s = pipe.stack
    for n in range(12):
        await pipe.report(f"s{n:02}", wait=False, events_per_run=3, stage=STAGES[n % 3])
    await pipe.settled()
    handle = s.client.get_workflow_handle(f"opportunity:{s.slug}:OPP-1")
    assert [e.event_id for e in await _events(s)] == [f"s{n:02}" for n in range(12)]
    redelivered = [await pipe.report(f"s{n:02}", stage="R3") for n in (0, 5, 11)]  # seen before the new runs
    assert {a.status for a in redelivered} == {"duplicate"}
    assert len(await pipe.automations()) == 4  # R2 entered on events 0, 3, 6, 9
    first_run = await s.client.get_workflow_handle(handle.id, run_id=(await _first_run_id(s, handle.id))).describe()
    assert first_run.status.name == "CONTINUED_AS_NEW"


async def _first_run_id(stack, workflow_id: str) -> str:
    """The run update-with-start began (the first in the chain)."""
    async for event in stack.client.get_workflow_handle(workflow_id).fetch_history_events():
        attrs = event.workflow_execution_started_event_attributes
        return attrs.first_execution_run_id
    raise AssertionError("no history")


async def test_a_rule_edited_while_events_are_in_flight_handles_each_event_by_the_version_it_was_reported_under(pipe):
    await pipe.load(rules=[rule("moves", {"when": "enters_stage", "stage": "R2"}, _note("version 1"))])
    s = pipe.stack
    for n in range(6):
        await pipe.report(f"v1-{n}", wait=False, stage=STAGES[n % 3])
    edited = pipeline_org(s.slug, rules=[rule("moves", {"when": "enters_stage", "stage": "R2"}, _note("version 2"),
                                              _note("and a second one"))])
    await s.load(edited)
    for n in range(6):
        await pipe.report(f"v2-{n}", wait=False, stage=STAGES[n % 3])
    lines = [line for line in await pipe.settled() if line.kind == "automation"]
    assert [line.text.split(":")[0] for line in lines] == ["moves v1 #1 notify"] * 2 + [
        "moves v2 #1 notify", "moves v2 #2 notify"] * 2
    async with s.db.session() as session:
        assert [r.version for r in (await session.exec(select(PipelineRule))).all()] == [1, 2]
