"""Signed webhooks from real runs: a local receiver gets reminder.sent and run.ended, verifiable with
the endpoint's secret; a receiver failing 3 times gets each event once, after 4 logged attempts; one
that never answers 2xx leaves the delivery failed after 3 days, and a replay delivers it."""

from datetime import timedelta

from standardwebhooks.webhooks import Webhook
from temporalio import activity

from activities.dunning import DunningActivities
from models import DeliveryState
from relance.dunning.types import ExitReason, StepInput
from relance.scenario.plan import StepOutcome
from relance.webhooks.errors import ReplayRefused
from relance.webhooks.publishing import Event
from starter.webhooks import add_endpoint, list_deliveries, replay_delivery
from tests import factories as f
from tests.conftest import RECEIVERS
from tests.webhooks.conftest import attempts, deliveries, org_id, until
from worker import build_worker


async def run_one_reminder(stack):
    await stack.mailer.verify(f.SENDER)
    result = await (await stack.start()).result()
    assert result.reason == ExitReason.COMPLETED
    return result


async def test_a_run_tells_the_receiver_what_happened_signed_with_the_endpoints_secret(stack, receiver):
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    _, secret = await add_endpoint(stack.db, stack.slug, receiver.url, allow=RECEIVERS)
    assert secret.startswith("whsec_")
    await run_one_reminder(stack)
    await until(lambda: len(receiver.accepted()) == 2)

    verifier = Webhook(secret)
    events = {r.event["type"]: r for r in receiver.requests}
    assert set(events) == {"reminder.sent", "run.ended"}
    for request in receiver.requests:
        assert verifier.verify(request.body, request.headers) == request.event
        assert request.headers["content-type"] == "application/json"
    [message] = stack.sent()
    sent = events["reminder.sent"].event["data"]
    assert sent | {"workflow_id": None} == {
        "organisation": stack.slug, "invoice_number": "F-1", "account": "C1", "workflow_id": None,
        "step": {"number": 1, "name": "Relance"}, "recipient": "billing@dupont.example.org",
        "message_id": message["message_id"]}
    assert events["run.ended"].event["data"]["exit_reason"] == "completed"
    assert all(r.event["timestamp"].endswith(("+01:00", "+02:00")) for r in receiver.requests), \
        "the time with the organisation's offset (Europe/Paris), as the API and the CLI give it"
    assert "reste dû" not in events["reminder.sent"].body.decode(), "no email body in a webhook"

    async def both_delivered() -> bool:  # recorded once the receiver's 2xx is back, just after it answered
        return [d.state for d in await deliveries(stack.db, stack.slug)] == [DeliveryState.SUCCEEDED] * 2

    assert await until(both_delivered)


async def test_a_receiver_failing_three_times_gets_each_event_once_after_four_attempts(stack, receiver):
    receiver.fail_first = 3
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    await add_endpoint(stack.db, stack.slug, receiver.url, ["reminder.sent", "run.ended"], allow=RECEIVERS)
    await run_one_reminder(stack)

    async def all_succeeded():
        found = await deliveries(stack.db, stack.slug)
        return len(found) == 2 and all(d.state == DeliveryState.SUCCEEDED for d in found)

    await stack.advance_until(all_succeeded, step=timedelta(seconds=30))  # backoff: 10 s, 20 s, 40 s
    assert sorted(r.event["type"] for r in receiver.accepted()) == ["reminder.sent", "run.ended"]
    for delivery in await deliveries(stack.db, stack.slug):
        logged = await attempts(stack.db, delivery.id)
        assert [a.status for a in logged] == [500, 500, 500, 204]
        assert delivery.attempts == 4 and delivery.succeeded_at == logged[-1].at
        assert all(a.latency_ms >= 0 for a in logged) and logged[0].error.startswith("HTTP 500")
        bodies = {r.body for r in receiver.requests if r.id == delivery.event_id}
        assert len(bodies) == 1, "every attempt posts the same bytes"


async def test_a_delivery_that_never_succeeds_fails_after_three_days_and_a_replay_delivers_it(stack, receiver):
    receiver.always = 503
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    await add_endpoint(stack.db, stack.slug, receiver.url, ["run.ended"], allow=RECEIVERS)
    started = await stack.now()
    await stack.webhooks().publish(Event(await org_id(stack.db, stack.slug), stack.slug, "run.ended",
                                         "run.ended:test", {"exit_reason": "paid"}, started))

    async def failed():
        return await list_deliveries(stack.db, stack.slug, DeliveryState.FAILED)

    [delivery] = await stack.advance_until(failed, step=timedelta(hours=6), limit=20)
    assert await stack.now() - started >= timedelta(days=3)
    logged = await attempts(stack.db, delivery.id)
    # 10 s doubling to 2,560 s (1 h 25 min for 10 attempts), then hourly to 3 days: about 80.
    assert 75 <= delivery.attempts == len(logged) <= 82, delivery.attempts
    assert delivery.last_status == 503 and delivery.last_error.startswith("HTTP 503")

    receiver.always = None
    await replay_delivery(stack.client, stack.db, stack.task_queue, stack.slug, delivery.id)
    await until(lambda: receiver.accepted())
    [replayed] = await until(lambda: _in_state(stack, DeliveryState.SUCCEEDED))
    assert replayed.attempts == len(logged) + 1
    assert len(receiver.accepted()) == 1
    try:
        await replay_delivery(stack.client, stack.db, stack.task_queue, stack.slug, delivery.id)
        raise AssertionError("a succeeded delivery was replayed")
    except ReplayRefused as refused:
        assert "succeeded" in str(refused)


async def _in_state(stack, state):
    return [d for d in await deliveries(stack.db, stack.slug) if d.state == state]


async def test_410_gone_disables_the_endpoint_and_fails_at_once(stack, receiver):
    receiver.always = 410
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    endpoint, _ = await add_endpoint(stack.db, stack.slug, receiver.url, ["run.ended"], allow=RECEIVERS)
    await stack.webhooks().publish(Event(await org_id(stack.db, stack.slug), stack.slug, "run.ended", "gone",
                                         {}, await stack.now()))
    [delivery] = await until(lambda: _in_state(stack, DeliveryState.FAILED))
    assert delivery.attempts == 1 and "410 Gone" in delivery.last_error
    try:
        await replay_delivery(stack.client, stack.db, stack.task_queue, stack.slug, delivery.id)
        raise AssertionError("replayed to a disabled endpoint")
    except ReplayRefused as refused:
        assert f"endpoint {endpoint.id} is disabled" in str(refused)
    assert await stack.webhooks().publish(Event(await org_id(stack.db, stack.slug), stack.slug, "run.ended",
                                                "after", {}, await stack.now())) == 0


async def test_a_crash_between_the_send_and_the_publish_loses_no_event_and_sends_it_once(stack, receiver):
    """The first attempt sends the email, then dies before publishing: the retry finds the step done
    and publishes it (prior outcome); the event reaches the receiver once."""
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    await add_endpoint(stack.db, stack.slug, receiver.url, ["reminder.sent"], allow=RECEIVERS)

    class LostBeforePublishing:
        async def publish(self, event):
            raise RuntimeError("worker lost before publishing")

    queue = stack.task_queue + "-crash"
    real = DunningActivities(stack.db, stack.mailer, stack.webhooks(queue))
    lost = DunningActivities(stack.db, stack.mailer, LostBeforePublishing())

    @activity.defn(name="execute_step")
    async def execute_step(inp: StepInput) -> StepOutcome:
        return await (lost if activity.info().attempt == 1 else real).execute_step(inp)

    async with build_worker(stack.client, queue, stack.db, stack.mailer, {"execute_step": execute_step}):
        from dataclasses import replace

        assert (await (await replace(stack, task_queue=queue).start()).result()).reason == ExitReason.COMPLETED
        await until(lambda: receiver.accepted())
    assert len(stack.sent()) == 1
    [request] = receiver.requests
    assert request.event["data"]["message_id"] == stack.sent()[0]["message_id"]
