"""What the outbox tells the host's webhooks: draft.created, draft.sent, draft.withdrawn, draft.expired,
each once per draft whatever runs twice; no email body in them."""

from collections import Counter
from datetime import timedelta

from sqlmodel import select

from models import WebhookEvent
from starter import agency
from starter.webhooks import add_endpoint
from tests.agency import data
from tests.conftest import RECEIVERS


async def test_created_sent_withdrawn_expired_are_published_once(stack):
    await stack.mailer.verify(data.SENDER)
    await stack.load(data.organisation(stack.slug, [data.booking("A1", "today+6", "today+13"),
                                                    data.booking("A2", "today+6", "today+13"),
                                                    data.booking("A3", "today+1", "today+5")],
                                       {"arrival": 7}))
    today = await stack.today()
    await add_endpoint(stack.db, stack.slug, "http://127.0.0.1:9/hooks", None, allow=RECEIVERS)
    for _ in range(2):  # drafting twice publishes nothing twice
        await data.draft_today(stack)
    ids = {line.booking.reference: line.draft for line in await agency.tab_drafts(stack.db, stack.slug, "mer",
                                                                                  "arrival")}
    await agency.send_draft(stack.client, stack.db, stack.task_queue, stack.slug, "mer", ids["A1"].id,
                            ids["A1"].version, "anne")
    await agency.report_booking(stack.client, stack.db, stack.task_queue, stack.slug, "mer",
                                data.booking("A2", "today+6", "today+13", status="cancelled"))
    await data.draft_today(stack, today + timedelta(days=2))  # A3 arrived
    async with stack.db.session() as session:
        events = (await session.exec(select(WebhookEvent))).all()
    assert Counter(e.type for e in events) == {"draft.created": 3, "draft.sent": 1, "draft.withdrawn": 1,
                                               "draft.expired": 1}
    by_type = {e.type: e.payload for e in events if e.type != "draft.created"}
    assert (by_type["draft.sent"]["booking"], by_type["draft.sent"]["sent_by"]) == ("A1", "anne")
    assert (by_type["draft.withdrawn"]["booking"], by_type["draft.withdrawn"]["reason"]) == ("A2",
                                                                                            "booking_cancelled")
    assert by_type["draft.expired"]["booking"] == "A3"
    assert all("body" not in e.payload for e in events)
