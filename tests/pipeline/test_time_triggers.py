"""Time triggers (issue 26, part 2): a timer in the opportunity's own workflow, moved or cancelled when
the opportunity changes, fired once per moment (an event of its own on the timeline), in open days
when asked."""

from datetime import date, timedelta

import pytest

from relance import calendar
from relance.importing.importer import ImportRejected
from relance.pipeline import rules
from starter import pipeline
from tests.pipeline.conftest import poll
from tests.pipeline.data import pipeline_org, rule

FRANCE = calendar.Opening(weekdays=calendar.WORKING_DAYS, country="FR")


def _note(text: str) -> dict:
    return {"do": "notify", "text": text}


async def _feed(pipe) -> list[str]:
    return [n.text for n in await pipeline.feed(pipe.stack.db, pipe.stack.slug, "OPP-1")]


async def _time_events(pipe) -> list[str]:
    return [line.text for line in await pipe.timeline() if line.kind == "event" and line.key.startswith("time:")]


async def _skip(pipe, days: float) -> None:
    await pipe.stack.env.sleep(timedelta(days=days))


def test_a_moment_in_open_days_skips_weekends_and_holidays_and_keeps_its_wall_time():
    timing = rules.Timing("R2", "open", None, None, date(2026, 12, 28), "Europe/Paris", FRANCE)
    m = rules.moment({"when": "days_before_close", "days": 3, "business_days": True}, timing)
    assert calendar.written(m.due, "Europe/Paris") == "2026-12-22 09:00 +01:00"  # Mon 28 - 3 open days (25th off)
    later = rules.moment({"when": "days_before_close", "days": 3}, timing)
    assert calendar.written(later.due, "Europe/Paris") == "2026-12-25 09:00 +01:00"
    assert m.event_id != later.event_id  # two triggers, two moments


async def test_days_in_stage_fires_once_and_a_stage_change_moves_it(pipe):
    stale = rule("stale-r2", {"when": "days_in_stage", "stage": "R2", "days": 14}, _note("R2 depuis 14 jours"))
    await pipe.load(rules=[stale])
    assert await pipeline.pending(pipe.stack.client, pipe.stack.slug, "OPP-1") is None  # no event yet
    await pipe.report("e1", stage="R2")
    assert (await pipeline.pending(pipe.stack.client, pipe.stack.slug, "OPP-1")).moments
    await _skip(pipe, 10)
    await pipe.report("e2", stage="R3")  # cancelled
    await pipe.report("e3", stage="R2")  # a new stay in R2: a new moment, 14 days from now
    await _skip(pipe, 10)
    assert await _feed(pipe) == []
    await _skip(pipe, 5)

    async def fired() -> bool:
        return await _feed(pipe) == ["R2 depuis 14 jours"]
    await poll(fired)
    await _skip(pipe, 30)
    await pipe.settled()
    assert await _feed(pipe) == ["R2 depuis 14 jours"]  # never twice for the same moment
    [event] = await _time_events(pipe)
    assert "days_in_stage 14 days R2" in event
    assert (await pipeline.status(pipe.stack.client, pipe.stack.slug, "OPP-1")).moments == []


async def test_a_close_date_trigger_is_moved_when_the_close_date_changes(pipe):
    soon = rule("before-close", {"when": "days_before_close", "days": 2}, _note("clôture dans 2 jours"))
    await pipe.load(rules=[soon])
    today = await pipe.stack.today()
    await pipe.report("e1", close_on=str(today + timedelta(days=5)))
    await _skip(pipe, 1)
    await pipe.report("e2", close_on=str(today + timedelta(days=20)))  # moved
    await _skip(pipe, 5)
    await pipe.settled()
    assert await _feed(pipe) == []
    await _skip(pipe, 14)

    async def fired() -> bool:
        return await _feed(pipe) == ["clôture dans 2 jours"]
    await poll(fired)


async def test_days_after_won_fires_with_a_condition_and_losing_cancels_it(pipe):
    after = {**rule("after-won", {"when": "days_after_result", "result": "won", "days": 7}, _note("suivi")),
             "condition": {"field": "amount", "ge": 1000}}
    await pipe.load(rules=[after])
    await pipe.report("e1", result="won")
    await _skip(pipe, 3)
    await pipe.report("e2", result="lost")
    await _skip(pipe, 10)
    await pipe.report("e3", result="won")
    await _skip(pipe, 8)

    async def fired() -> bool:
        return await _feed(pipe) == ["suivi"]
    await poll(fired)
    assert [line.state for line in await pipe.timeline() if line.kind == "condition"] == ["held"]
    assert len(await _time_events(pipe)) == 1


async def test_a_time_trigger_needs_its_days_and_refuses_fields_it_does_not_use(pipe):
    bad = [rule("a", {"when": "days_in_stage", "stage": "R9"}, _note("x")),
           rule("b", {"when": "days_after_result", "days": 3, "type": "call"}, _note("x"))]
    with pytest.raises(ImportRejected) as rejected:
        await pipe.stack.load(pipeline_org(pipe.stack.slug, rules=bad))
    problems = "\n".join(rejected.value.problems)
    for text in ["rule 'a' › trigger.days: trigger days_in_stage needs it", "rule 'a' › trigger.stage: unknown stage",
                 "rule 'b' › trigger.result: trigger days_after_result needs it",
                 "rule 'b' › trigger.type: trigger days_after_result does not use it"]:
        assert text in problems
