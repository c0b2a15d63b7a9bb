"""More automations (issue 26, part 3, continued): notify a given user by the channel they chose (a task or
an email), assign by the account's owner, call the host (a signed POST, retried, its answer recorded)."""

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from models import AppUser, AutomationRun, Opportunity
from relance import tasks
from relance.importing.importer import ImportRejected
from relance.pipeline.rules import trigger_text
from starter import pipeline
from starter.webhooks import add_endpoint, remove_endpoint
from tests import factories as f
from tests.conftest import RECEIVERS
from tests.pipeline.data import ADMIN, OPP, SALESPERSON, pipeline_org, rule
from tests.webhooks.conftest import receiver  # noqa: F401 (the local receiver fixture)

WON = {"when": "result", "result": "won"}


async def _load(pipe, rules: list[dict], *, by_email: tuple[str, ...] = (), owner: str | None = None) -> None:
    data = pipeline_org(pipe.stack.slug, rules=rules)
    for user in data["users"]:
        if user["email"] in by_email:
            user["notify_by"] = "email"
    if owner is not None:
        data["accounts"][0]["owner"] = owner
    await pipe.stack.mailer.verify(f.SENDER)
    await pipe.stack.load(data)


async def _salesperson(pipe) -> str:
    async with pipe.stack.db.session() as session:
        opp = (await session.exec(select(Opportunity).where(Opportunity.ref == OPP))).one()
        return (await session.get(AppUser, opp.assigned_user_id)).email


async def test_notify_reaches_each_user_by_their_channel_once(pipe):
    tell = rule("tell", WON, {"do": "notify", "user": ADMIN, "text": "Commande à saisir", "sender": f.SENDER},
                {"do": "notify", "user": "[[!AssignedToId]]", "text": "Bravo"})
    await _load(pipe, [tell], by_email=(ADMIN,))
    await pipe.report("won-1", result="won")
    await pipe.report("won-1", result="won")  # delivered twice: handled once
    assert await pipe.automations() == [("tell v1 #1 notify", "done"), ("tell v1 #2 notify", "done")]

    [email] = pipe.stack.sent()
    assert email["destinations"]["to"] == [ADMIN] and f.SENDER in email["source"]
    assert email["subject"] == "Opportunité OPP-1 : Commande à saisir", "the organisation's language (fr_FR)"
    assert "Bonjour Anne Adv" in email["body"] and "Commande à saisir" in email["body"]
    assert "+01:00" in email["body"] or "+02:00" in email["body"], "time with its offset"
    [task] = await tasks.list_tasks(pipe.stack.db, pipe.stack.slug)
    assert (task.assignee, task.title, task.about_kind, task.about_ref) == (SALESPERSON, "Bravo", "opportunity", OPP)


async def test_assign_by_account_owner_says_why_not_and_the_next_automations_go_on(pipe):
    owner = rule("owner", WON, {"do": "assign", "by": "account_owner"}, {"do": "add_tag", "tag": "gagne"})
    await _load(pipe, [owner])
    dry = await pipeline.dry_run(pipe.stack.db, pipe.stack.slug, {"event_id": "d", "opportunity": OPP,
                                                                  "kind": "opportunity", "result": "won"})
    assert [line.does for line in dry.lines] == ["assign the opportunity to its account's owner",
                                                       "tag the opportunity 'gagne'"]
    await pipe.report("won-1", result="won")
    lines = [line for line in await pipe.settled() if line.kind == "automation"]
    assert [(line.state, line.text.split(":")[0]) for line in lines] == [
        ("failed", "owner v1 #1 assign"), ("done", "owner v1 #2 add_tag")]
    assert "account 'C1' has no owner" in lines[0].text
    assert await _salesperson(pipe) == SALESPERSON

    await _load(pipe, [owner], owner=ADMIN)  # the owner set by import: a retry assigns them
    await pipeline.retry_automation(pipe.stack.client, pipe.stack.slug, OPP, lines[0].key)
    await pipe.settled()
    assert await _salesperson(pipe) == ADMIN


async def test_two_opportunities_won_at_once_are_assigned_in_turn_to_different_users(pipe):
    turn = rule("turn", WON, {"do": "assign", "users": [ADMIN, SALESPERSON]})
    data = pipeline_org(pipe.stack.slug, rules=[turn])
    data["pipeline"]["opportunities"].append({**data["pipeline"]["opportunities"][0], "ref": "OPP-2"})
    await pipe.stack.load(data)
    await asyncio.gather(*(pipe.report(f"won-{ref}", ref=ref, result="won") for ref in (OPP, "OPP-2")))
    for ref in (OPP, "OPP-2"):
        await pipe.settled(ref)  # the assignment is an event of its own, handled next
    async with pipe.stack.db.session() as session:
        chosen = (await session.exec(select(AppUser.email).join(Opportunity, Opportunity.assigned_user_id == AppUser.id)
                                     .where(Opportunity.ref.in_([OPP, "OPP-2"])))).all()
    assert sorted(chosen) == sorted([ADMIN, SALESPERSON]), "each took its turn: never the same user twice"


async def test_call_host_posts_the_event_signed_retries_and_records_the_answer(pipe, receiver):  # noqa: F811
    receiver.fail_first = 2
    await _load(pipe, [])  # the endpoint is the organisation's, registered before a rule names it
    _, secret = await add_endpoint(pipe.stack.db, pipe.stack.slug, receiver.url, allow=RECEIVERS)
    call = rule("call", WON, {"do": "call_host", "endpoint": receiver.url}, {"do": "add_tag", "tag": "gagne"})
    await _load(pipe, [call])
    await pipe.report("won-1", result="won")
    assert await pipe.automations() == [("call v1 #1 call_host", "running"), ("call v1 #2 add_tag", "done")], \
        "the rule's next automation does not wait for the host"

    async def answered():
        async with pipe.stack.db.session() as session:
            run = (await session.exec(select(AutomationRun).where(AutomationRun.kind == "call_host"))).one()
        return run if run.state != "running" else None

    run = await pipe.stack.advance_until(answered, step=timedelta(seconds=15))  # backoff: 10 s, 20 s
    assert run.state == "done" and "answered HTTP 204" in run.detail and "(attempt 3)" in run.detail
    calls = [r for r in receiver.requests if r.event["type"] == "opportunity.host_call"]  # not the tag.added webhook
    assert [r.status for r in calls] == [500, 500, 204]
    assert len({r.body for r in calls}) == 1 and len({r.id for r in calls}) == 1, "the same bytes and id each time"
    event = Webhook(secret).verify(calls[-1].body, calls[-1].headers)
    assert event["type"] == "opportunity.host_call"
    assert event["data"]["opportunity"] == OPP and event["data"]["event"]["id"] == "won-1"
    assert event["data"]["state"]["result"] == "won" and event["data"]["rule"] == {
        "key": "call", "version": 1, "automation": 1}


async def test_a_call_to_a_removed_endpoint_fails_with_why_and_the_rest_goes_on(pipe, receiver):  # noqa: F811
    await _load(pipe, [])
    endpoint, _ = await add_endpoint(pipe.stack.db, pipe.stack.slug, receiver.url, allow=RECEIVERS)
    call = rule("call", WON, {"do": "call_host", "endpoint": receiver.url}, {"do": "add_tag", "tag": "gagne"})
    await _load(pipe, [call])
    await remove_endpoint(pipe.stack.db, pipe.stack.slug, endpoint.id)
    await pipe.report("won-1", result="won")
    lines = [line for line in await pipe.settled() if line.kind == "automation"]
    assert [(line.state, line.text.split(":")[0]) for line in lines] == [
        ("failed", "call v1 #1 call_host"), ("done", "call v1 #2 add_tag")]
    assert "is no webhook endpoint of the organisation (any more)" in lines[0].text
    assert receiver.requests == []


async def test_the_new_automations_are_checked_when_saved_every_problem_named(pipe):
    bad = rule("bad", WON, {"do": "call_host", "endpoint": "https://hooks.example.com/nowhere"},
               {"do": "assign", "by": "account_owner", "users": [ADMIN]}, {"do": "assign"},
               {"do": "notify", "user": "ghost@example.com", "text": "?"})
    with pytest.raises(ImportRejected) as rejected:
        await pipe.stack.load(pipeline_org(pipe.stack.slug, rules=[bad]))
    problems = "\n".join(rejected.value.problems)
    for text in ["automation 1 (call_host) › endpoint: 'https://hooks.example.com/nowhere' is no webhook endpoint",
                 "automation 2 (assign) › users: assign by account_owner does not use them",
                 "automation 3 (assign) › users: assign in turn (round_robin) needs them",
                 "automation 4 (notify) › user: 'ghost@example.com' is neither [[!AssignedToId]] nor a user"]:
        assert text in problems
    data = pipeline_org(pipe.stack.slug)
    data["accounts"][0]["owner"] = "ghost@example.com"
    with pytest.raises(ImportRejected) as rejected:
        await pipe.stack.load(data)
    assert "account 'C1' › owner: 'ghost@example.com' is not a user of the organisation" in \
        "\n".join(rejected.value.problems)


def test_a_time_trigger_is_said_in_words():
    assert trigger_text({"when": "days_in_stage", "days": 10, "business_days": True, "stage": "R2"}) == \
        "days_in_stage (10 business days, stage=R2)"
    assert trigger_text({"when": "days_before_close", "days": 3}) == "days_before_close (3 days)"
