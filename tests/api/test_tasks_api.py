"""The host's agenda: the tasks a run creates, listed by what they are about, and closed with who and when,
which a `task.closed` webhook tells."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests import factories as f
from tests.webhooks.conftest import receiver, until  # noqa: F401  (the fixture)

EMAIL_THEN_CALL = [
    {"kind": "email", "label": "Relance", "offset_days": 10, "template": "first"},
    {"kind": "action", "label": "Appel", "task": {"title": "Appeler le client", "assignee": f.SENDER,
                                                  "due_in_days": 7}},
]


async def test_a_task_is_listed_closed_with_who_and_when_and_told_as_task_closed(api, receiver):  # noqa: F811
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(EMAIL_THEN_CALL, invoices=[f.invoice(due="today-20")]))
    registered = await api.post("/v1/webhook-endpoints", {"url": receiver.url, "events": ["task.closed"]})
    assert registered.status_code == 201, registered.text
    await stack.start()
    await stack.advance_until(stack.tasks)

    [task] = (await api.get("/v1/tasks", params={"about_kind": "invoice", "about_ref": "F-1", "state": "open"})).json()
    assert (task["title"], task["assignee"], task["closed_at"]) == ("Appeler le client", f.SENDER, None)
    assert (await api.get("/v1/tasks", params={"assignee": "nobody@example.com"})).json() == []
    assert (await api.get("/v1/tasks", params={"state": "closed"})).json() == []

    closed = await api.post(f"/v1/tasks/{task['id']}/close", {"by": "anna"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_by"] == "anna" and closed.json()["closed_at"].endswith(("+01:00", "+02:00"))
    again = await api.post(f"/v1/tasks/{task['id']}/close", {})
    assert again.json()["closed_by"] == "anna", "the first close stands"
    assert [t["id"] for t in (await api.get("/v1/tasks", params={"state": "closed"})).json()] == [task["id"]]

    await until(lambda: receiver.accepted())
    event = Webhook(registered.json()["secret"]).verify(receiver.accepted()[0].body, receiver.accepted()[0].headers)
    assert (event["type"], event["data"]["task_id"], event["data"]["closed_by"]) == ("task.closed", task["id"], "anna")
    assert len(receiver.accepted()) == 1, "closing twice tells once"

    other = stack.org()
    other["slug"] = f"{stack.slug}-x"
    await stack.load(other)
    outsider = await api.key_for(other["slug"])
    assert (await api.get("/v1/tasks", key=outsider)).json() == []
    assert (await api.post(f"/v1/tasks/{task['id']}/close", {}, key=outsider)).status_code == 404
