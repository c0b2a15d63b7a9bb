"""Waits inside a rule (issue 26, part 4): the rule's next automations go on at the wait's end if its
condition still holds; the wait is shown while in flight, keeps its rule version through an edit, and
survives continue-as-new; the other rules and events are not held."""

from datetime import timedelta

from sqlmodel import select

from models import OpportunityAction
from starter import pipeline
from tests.pipeline.conftest import poll
from tests.pipeline.data import ADMIN, pipeline_org, rule


def follow_up(title: str = "Appel de suivi") -> dict:
    return rule("won-follow-up", {"when": "result", "result": "won"}, {"do": "notify", "text": "Bravo"},
                {"do": "wait", "days": 7, "at": "09:30", "condition": {"field": "result", "is": "won"}},
                {"do": "create_action", "type": "call", "title": title, "assignee": ADMIN, "due_in_days": 0})


async def _actions(pipe) -> list[str]:
    async with pipe.stack.db.session() as session:
        return [a.title for a in (await session.exec(select(OpportunityAction))).all()]


async def test_a_wait_holds_the_rest_of_its_rule_keeps_its_version_and_survives_continue_as_new(pipe):
    await pipe.load(rules=[follow_up()])
    ack = await pipe.report("e1", result="won", events_per_run=2)
    assert [o.split(":")[0] for o in ack.outcomes] == ["won-follow-up #1 notify", "won-follow-up #2 wait"]
    assert "waits until" in ack.outcomes[1]
    [wait] = (await pipeline.status(pipe.stack.client, pipe.stack.slug, "OPP-1")).waits
    assert wait.endswith("won-follow-up #2") and "T09:30:00+01:00" in wait
    await pipe.stack.load(pipeline_org(pipe.stack.slug, rules=[follow_up("Nouveau titre")]))  # an edit: v2
    for n in range(3):  # continue-as-new every 2 events, the wait in flight
        await pipe.report(f"x{n}", amount=str(1000 + n))
    await pipe.stack.env.sleep(timedelta(days=3))
    assert await _actions(pipe) == []

    await pipe.stack.env.sleep(timedelta(days=5))

    async def done() -> bool:
        return await _actions(pipe) == ["Appel de suivi"]  # the version the event was handled by
    await poll(done)
    lines = [line.text for line in await pipe.settled() if line.kind == "automation"]
    assert any("wait" in text and "then le résultat est won: vrai" in text for text in lines)


async def test_a_wait_whose_condition_no_longer_holds_stops_the_rest_and_says_why(pipe):
    await pipe.load(rules=[follow_up()])
    await pipe.report("e1", result="won")
    await pipe.report("e2", result="lost")  # not held by the wait: handled at once
    await pipe.stack.env.sleep(timedelta(days=8))

    async def stopped() -> bool:
        return any(line.state == "stopped" for line in await pipe.timeline())
    await poll(stopped)
    [line] = [line for line in await pipe.timeline() if line.state == "stopped"]
    assert "create_action" in line.text and "stopped after the wait: le résultat est won: faux (lost)" in line.text
    assert await _actions(pipe) == []
    assert (await pipeline.status(pipe.stack.client, pipe.stack.slug, "OPP-1")).waits == []
