"""The host's agenda and feed: the tasks a run creates, listed by what they are about, and closed with who and
when, which a `task.closed` webhook tells; the pipeline's effects (an action, a notification, a tag) told too."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests import factories as f
from tests.pipeline.data import OPP, SALESPERSON, pipeline_org, rule
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


async def test_the_pipelines_effects_are_told_as_webhooks_once_each(api, receiver):  # noqa: F811
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    effects = rule("won", {"when": "result", "result": "won"},
                   {"do": "create_action", "type": "call", "title": "Rappeler", "assignee": SALESPERSON,
                    "due_in_days": 2},
                   {"do": "notify", "text": "Gagnée !"}, {"do": "add_tag", "tag": "gagne"})
    await stack.load(pipeline_org(stack.slug, [effects]))
    registered = await api.post("/v1/webhook-endpoints", {"url": receiver.url, "events": [
        "action.created", "notification.posted", "tag.added"]})
    assert registered.status_code == 201, registered.text
    done = await api.post("/v1/pipeline/events?wait=true", json={"event_id": "e1", "opportunity": OPP,
                                                                 "kind": "opportunity", "result": "won"})
    assert done.status_code == 200, done.text
    await until(lambda: len(receiver.accepted()) >= 3)
    secret = registered.json()["secret"]
    told = sorted((e["type"], e["data"]) for e in (Webhook(secret).verify(r.body, r.headers)
                                                     for r in receiver.accepted()))
    assert [(t, d["opportunity"], d["automation"]["number"]) for t, d in told] == [
        ("action.created", OPP, 1), ("notification.posted", OPP, 2), ("tag.added", OPP, 3)]
    assert (told[0][1]["title"], told[1][1]["text"], told[2][1]["tag"]) == ("Rappeler", "Gagnée !", "gagne")
    again = await api.post("/v1/pipeline/events?wait=true", json={"event_id": "e1", "opportunity": OPP,
                                                                  "kind": "opportunity", "result": "won"})
    assert again.status_code == 200
    assert len(receiver.accepted()) == 3, "the same event again tells nothing twice"
