"""A failing automation is recorded with its reason (timeline, search attribute, webhook) without
blocking the next, and can be retried; loops are stopped and recorded; a worker that dies between two
automations does not make either happen twice."""

import asyncio
import uuid

from sqlmodel import select
from temporalio import activity
from temporalio.worker import Worker

from activities.pipeline import PipelineActivities
from models import AutomationRun, EmailLedgerEntry, WebhookEvent
from relance.pipeline.types import AutomationInput, AutomationOutcome
from relance.temporal import search_attributes as sa
from relance.temporal.queues import email_queue
from starter import pipeline
from starter.webhooks import add_endpoint
from tests import factories as f
from tests.conftest import RECEIVERS
from tests.pipeline.data import SALESPERSON, pipeline_org, rule
from workflows.pipeline import OpportunityWorkflow

UNVERIFIED_EMAIL = {"do": "send_email", "to": "[[!AssignedToId]]", "sender": SALESPERSON, "template": "r2-docs"}
NOTE = {"do": "notify", "text": "toujours là"}


async def _failed_flag(stack, workflow_id: str) -> bool:
    raw = (await stack.describe(workflow_id)).search_attributes.indexed_fields[sa.AUTOMATION_FAILED.name]
    from temporalio.converter import DataConverter
    return DataConverter.default.payload_converter.from_payloads([raw])[0]


async def test_a_failing_automation_is_recorded_does_not_block_the_next_and_can_be_retried(pipe):
    s = pipe.stack
    await pipe.load(rules=[rule("r2", {"when": "enters_stage", "stage": "R2"}, UNVERIFIED_EMAIL, NOTE)])
    await add_endpoint(s.db, s.slug, "http://127.0.0.1:9/hooks", None, allow=RECEIVERS)
    ack = await pipe.report("e1", stage="R2")
    assert ack.outcomes[0].startswith("r2 #1 send_email: failed: sender_not_verified")
    assert ack.outcomes[1].startswith("r2 #2 notify: done")
    assert await pipe.automations() == [("r2 v1 #1 send_email", "failed"), ("r2 v1 #2 notify", "done")]
    workflow_id = f"opportunity:{s.slug}:OPP-1"
    assert await _failed_flag(s, workflow_id) is True
    async with s.db.session() as session:
        [hook] = (await session.exec(select(WebhookEvent).where(WebhookEvent.type != "notification.posted"))).all()
        [failed] = (await session.exec(select(AutomationRun).where(AutomationRun.state == "failed"))).all()
    assert hook.type == "automation.failed"
    assert (hook.payload["rule"], hook.payload["automation"], hook.payload["opportunity"]) == ("r2", "send_email",
                                                                                              "OPP-1")
    assert SALESPERSON in hook.payload["reason"]
    assert s.sent() == []

    await s.mailer.verify(SALESPERSON)
    said = await pipeline.retry_automation(s.client, s.slug, "OPP-1", failed.idem_key)
    assert "queued" in said
    lines = await pipe.settled()
    assert [line.state for line in lines if line.kind == "automation"] == ["done", "done"]
    assert len(s.sent()) == 1 and await _failed_flag(s, workflow_id) is False
    try:
        await pipeline.retry_automation(s.client, s.slug, "OPP-1", failed.idem_key)
    except ValueError as exc:
        assert "no failed automation" in str(exc)
    else:
        raise AssertionError("a retry of a done automation must be refused")


async def test_a_rule_firing_on_an_event_it_caused_is_stopped_and_recorded(pipe):
    self_loop = rule("calls", {"when": "action_created", "type": "call"},
                     {"do": "create_action", "type": "call", "title": "Rappeler", "assignee": f.SENDER,
                      "due_in_days": 1})
    await pipe.load(rules=[self_loop])
    await pipe.report("host-call", kind="action", action="A1", action_type="call")
    automations = await pipe.settled()
    runs = [(line.text.split(":")[0], line.state) for line in automations if line.kind == "automation"]
    assert runs == [("calls v1 #1 create_action", "done"), ("calls v1 #1 create_action", "stopped")]
    stopped = [line.text for line in automations if line.state == "stopped"]
    assert "would fire on an event it caused" in stopped[0]
    assert len(await pipe.actions()) == 2  # the host's and the one the rule created, no more


async def test_a_chain_of_caused_events_deeper_than_the_limit_is_stopped(pipe):
    data = pipeline_org(pipe.stack.slug, rules=[
        rule(key, {"when": "action_created", "type": source},
             {"do": "create_action", "type": target, "title": key, "assignee": f.SENDER, "due_in_days": 0})
        for key, source, target in (("a", "call", "meeting"), ("b", "meeting", "administrative"),
                                    ("c", "administrative", "task"), ("d", "task", "call"))])
    data["pipeline"]["action_types"].append({"key": "task"})
    await pipe.stack.mailer.verify(f.SENDER)
    await pipe.stack.load(data)
    await pipe.report("start", kind="action", action="A1", action_type="call")
    lines = await pipe.settled()
    states = [(line.text.split(":")[0], line.state) for line in lines if line.kind == "automation"]
    assert states == [("a v1 #1 create_action", "done"), ("b v1 #1 create_action", "done"),
                      ("c v1 #1 create_action", "done"), ("d v1 #1 create_action", "stopped")]
    assert "limit of 3" in [line.text for line in lines if line.state == "stopped"][0]


async def test_a_worker_killed_between_two_automations_does_neither_twice(stack):
    """The email is sent, then the worker dies before telling Temporal: a new worker retries the step;
    the ledger answers 'sent already', and the next automation runs once."""
    s = stack
    await s.mailer.verify(f.SENDER)
    await s.load(pipeline_org(s.slug, rules=[rule("r2", {"when": "enters_stage", "stage": "R2"}, {
        "do": "send_email", "to": "[[!AssignedToId]]", "sender": f.SENDER, "template": "r2-docs"}, NOTE)]))
    queue = f"relance-test-{uuid.uuid4()}"
    real = PipelineActivities(s.db, s.mailer, s.webhooks(queue))
    sent = asyncio.Event()

    @activity.defn(name="send_automation_email")
    async def send_then_die(inp: AutomationInput) -> AutomationOutcome:
        await real._run(inp)
        sent.set()
        await asyncio.Event().wait()  # the worker dies before it reports the activity done
        raise AssertionError("unreachable")

    main = Worker(s.client, task_queue=queue, workflows=[OpportunityWorkflow],
                  activities=[real.apply_event, real.run_automation, real.record_failure])
    dying = Worker(s.client, task_queue=email_queue(queue), activities=[send_then_die])
    async with main:
        await dying.__aenter__()
        ack = asyncio.create_task(pipeline.report_event(
            s.client, s.db, queue, s.slug, {"event_id": "e1", "opportunity": "OPP-1", "kind": "opportunity",
                                            "stage": "R2"}, wait=True))
        await asyncio.wait_for(sent.wait(), 30)
        await dying.__aexit__(None, None, None)  # killed: the email went out, the activity never finished
        async with Worker(s.client, task_queue=email_queue(queue), activities=[real.send_automation_email]):
            result = await asyncio.wait_for(ack, 60)
    assert [o.split(": ")[1][:37] for o in result.outcomes] == ["done (email to paul@example.com (sent",
                                                                "done (posted on the feed)"]
    assert len(s.sent()) == 1
    async with s.db.session() as session:
        runs = (await session.exec(select(AutomationRun).order_by(AutomationRun.position))).all()
        [entry] = (await session.exec(select(EmailLedgerEntry))).all()
    assert [(r.kind, r.state, r.attempts) for r in runs] == [("send_email", "done", 2), ("notify", "done", 1)]
    assert entry.state == "sent"

