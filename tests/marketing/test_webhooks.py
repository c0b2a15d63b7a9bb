"""What marketing tells the host's webhooks: each email sent, each enrolment's end, a campaign's end."""

from sqlmodel import select

from models import WebhookEvent
from starter import marketing
from starter.webhooks import add_endpoint
from tests import factories as f
from tests.conftest import RECEIVERS


async def test_marketing_sent_exited_and_campaign_finished_are_published_once(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(f.marketing_org(stack.slug))
    await add_endpoint(stack.db, stack.slug, "http://127.0.0.1:9/hooks", None, allow=RECEIVERS)
    enrolment = await marketing.enrol(stack.client, stack.db, stack.task_queue, stack.slug, "welcome", "C1-billing",
                                      "ops")
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    await marketing.remove(stack.client, stack.slug, "welcome", "C1-billing", "claire", "asked by phone")
    await enrolment.handle.result()
    await marketing.create_campaign(stack.db, stack.slug, "promo", "Promo", "tips", "ops", tag="newsletter")
    await (await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo",
                                           "ops")).result()
    async with stack.db.session() as session:
        events = (await session.exec(select(WebhookEvent).order_by(WebhookEvent.occurred_at, WebhookEvent.type))).all()
    assert [e.type for e in events] == ["marketing.sent", "marketing.exited", "campaign.finished"]
    sent, exited, finished = (e.payload for e in events)
    assert (sent["scenario"], sent["contact"], sent["step"], sent["recipient"]) == (
        "welcome", "C1-billing", {"number": 1, "name": "Bienvenue"}, "billing@dupont.example.org")
    assert sent["message_id"] == stack.sent()[0]["message_id"]
    assert (exited["exit_reason"], exited["detail"], exited["emails_sent"]) == (
        "removed", "by claire: asked by phone", 1)
    assert (finished["campaign"], finished["state"], finished["sent"], finished["total"]) == (
        "promo", "finished", 1, 1)
