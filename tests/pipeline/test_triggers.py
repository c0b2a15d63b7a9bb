"""Every trigger kind fires on its transition, derived from the state relance knows; the same state
saved again (or another transition) fires nothing."""

import pytest

from tests.pipeline.data import rule

NOTE = {"do": "notify", "text": "fired"}


@pytest.mark.parametrize(("trigger", "setup", "event", "again"), [
    ({"when": "result", "result": "won"}, [], {"result": "won"}, {"result": "won"}),
    ({"when": "result", "result": "lost"}, [], {"result": "lost"}, {"result": "lost"}),
    ({"when": "result", "result": "dormant"}, [], {"result": "dormant"}, {"result": "dormant"}),
    ({"when": "enters_stage", "stage": "R3"}, [], {"stage": "R3"}, {"stage": "R3"}),
    ({"when": "stage_change", "from": "R2", "to": "R3"}, [{"stage": "R2"}], {"stage": "R3"}, {"stage": "R3"}),
    ({"when": "quote_sent"}, [], {"kind": "quote", "quote": "Q1", "quote_state": "sent"},
     {"kind": "quote", "quote": "Q1", "quote_state": "sent"}),
    ({"when": "quote_reopened"}, [{"kind": "quote", "quote": "Q1", "quote_state": "sent"}],
     {"kind": "quote", "quote": "Q1", "quote_state": "reopened"},
     {"kind": "quote", "quote": "Q1", "quote_state": "reopened"}),
    ({"when": "action_created", "type": "call"}, [], {"kind": "action", "action": "A1", "action_type": "call"},
     {"kind": "action", "action": "A1", "action_type": "call"}),
    ({"when": "action_closed", "type": "call"}, [{"kind": "action", "action": "A1", "action_type": "call"}],
     {"kind": "action", "action": "A1", "action_type": "call", "action_state": "closed"},
     {"kind": "action", "action": "A1", "action_type": "call", "action_state": "closed"}),
], ids=["won", "lost", "dormant", "enters_stage", "stage_change", "quote_sent", "quote_reopened", "action_created",
        "action_closed"])
async def test_each_trigger_fires_once_on_its_transition_and_not_on_a_save_without_change(pipe, trigger, setup,
                                                                                           event, again):
    await pipe.load(rules=[rule("r", trigger, NOTE)])
    for n, fields in enumerate(setup):
        ack = await pipe.report(f"setup-{n}", **fields)
        assert ack.outcomes == []  # the way there fires nothing
    fired = await pipe.report("fire", **event)
    assert [o.split(":")[0] for o in fired.outcomes] == ["r #1 notify"]
    unchanged = await pipe.report("again", **again)
    assert (unchanged.status, unchanged.outcomes) == ("handled", [])
    assert await pipe.automations() == [("r v1 #1 notify", "done")]


async def test_a_stage_change_from_elsewhere_does_not_fire_a_from_to_rule(pipe):
    await pipe.load(rules=[rule("r", {"when": "stage_change", "from": "R2", "to": "R3"}, NOTE)])
    ack = await pipe.report("e1", stage="R3")  # R1 -> R3
    assert ack.outcomes == []


async def test_a_switched_off_rule_fires_nothing(pipe):
    off = rule("r", {"when": "result", "result": "won"}, NOTE) | {"enabled": False}
    await pipe.load(rules=[off])
    assert (await pipe.report("e1", result="won")).outcomes == []
