"""publish(): an event is recorded and started once whatever calls it twice; an organisation without
endpoints publishes nothing; each domain's events say what happened and nothing more."""

from datetime import timedelta

from sqlmodel import func, select

from models import WebhookDelivery, WebhookEvent
from relance.dunning.types import ExitReason
from relance.webhooks.publishing import Event
from starter.webhooks import add_endpoint
from tests import factories as f
from tests.conftest import RECEIVERS
from tests.renewal.test_renewal import inspect, until_ended
from tests.webhooks.conftest import org_id, until


async def count(db, model) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_a_duplicate_publish_starts_nothing_twice(stack, receiver):
    await stack.load(stack.org(invoices=[f.invoice()]))
    await add_endpoint(stack.db, stack.slug, receiver.url, allow=RECEIVERS)
    await add_endpoint(stack.db, stack.slug, receiver.url + "/second", ["run.ended"], allow=RECEIVERS)
    # This one does not want it:
    await add_endpoint(stack.db, stack.slug, receiver.url + "/other", ["task.created"], allow=RECEIVERS)
    event = Event(await org_id(stack.db, stack.slug), stack.slug, "run.ended", "run.ended:dunning:x:F-1",
                  {"exit_reason": "paid"}, await stack.now())
    assert await stack.webhooks().publish(event) == 2
    assert await stack.webhooks().publish(event) == 0
    await until(lambda: len(receiver.accepted()) == 2)
    assert await stack.webhooks().publish(event) == 0, "delivered: nothing pending, nothing started"
    assert (await count(stack.db, WebhookEvent), await count(stack.db, WebhookDelivery)) == (1, 2)
    assert sorted(r.id for r in receiver.requests) == [event.id] * 2


async def test_an_organisation_without_endpoints_publishes_nothing(stack, receiver):
    await stack.load(stack.org(invoices=[f.invoice()]))
    other = f.org(slug=stack.slug + "-other", invoices=[f.invoice()])
    await stack.load(other)
    await add_endpoint(stack.db, other["slug"], receiver.url, allow=RECEIVERS)  # another organisation's endpoint
    await stack.mailer.verify(f.SENDER)
    result = await (await stack.start()).result()
    assert result.reason == ExitReason.COMPLETED and result.emails_sent > 0
    assert (await count(stack.db, WebhookEvent), await count(stack.db, WebhookDelivery)) == (0, 0)
    assert receiver.requests == []


async def test_a_task_step_and_a_skipped_reminder_are_told(stack, receiver):
    await stack.mailer.verify(f.SENDER)
    steps = [{"kind": "email", "label": "Rappel", "offset_days": -3, "template": "rappel"},
             {"kind": "action", "label": "Appel", "task": {"title": "Appeler le client", "due_in_days": 7}}]
    await stack.load(stack.org(steps, invoices=[f.invoice(due="today-20")]))
    await add_endpoint(stack.db, stack.slug, receiver.url, ["task.created", "reminder.not_sent"], allow=RECEIVERS)
    today = await stack.today()  # before the result: the test server's clock jumps after it
    await (await stack.start()).result()
    await until(lambda: len(receiver.accepted()) == 2)
    told = {r.event["type"]: r.event["data"] for r in receiver.requests}
    assert told["reminder.not_sent"]["reason"] == "due_date_passed"
    task = told["task.created"]
    assert (task["title"], task["step"]) == ("Appeler le client", {"number": 2, "name": "Appel"})
    assert task["due_on"] == (today + timedelta(days=7)).isoformat()


async def test_a_renewal_notice_sent_is_told(stack, receiver):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(renewals=f.RENEWALS, contracts=[f.contract()]))
    await add_endpoint(stack.db, stack.slug, receiver.url, ["renewal_notice.sent", "renewal_notice.not_sent"],
                       allow=RECEIVERS)
    assert (await inspect(stack)).started == 1
    [notice] = await until_ended(stack)
    [request] = await until(lambda: receiver.accepted())
    assert request.event["type"] == "renewal_notice.sent"
    assert request.event["data"] | {"workflow_id": None, "term_end": None} == {
        "organisation": stack.slug, "contract": "CT-1", "account": "C1", "recipient": notice.recipient,
        "message_id": notice.provider_message_id, "workflow_id": None, "term_end": None}
