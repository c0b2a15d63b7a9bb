"""The host registers an endpoint over HTTP and gets the run's events, signed; deliveries are listed
and another organisation sees none of them."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests import factories as f
from tests.webhooks.conftest import receiver, until  # noqa: F401  (the fixture)
from tests.webhooks.test_outbound import INTERNAL


async def test_an_endpoint_registered_over_http_gets_the_reminder_signed(api, receiver):  # noqa: F811
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(dunning={"apply_to_new_invoices": True}))
    registered = await api.post("/v1/webhook-endpoints", {"url": receiver.url, "events": ["reminder.sent"]})
    assert registered.status_code == 201, registered.text
    secret = registered.json()["secret"]
    assert "secret" not in (await api.get("/v1/webhook-endpoints")).json()[0]

    body = f.invoice(due="today-20")
    body.pop("number")
    assert (await api.put("/v1/invoices/F-1", body)).status_code == 201
    await stack.advance_until(lambda: stack.sent())
    await until(lambda: receiver.accepted())
    request = receiver.accepted()[0]
    event = Webhook(secret).verify(request.body, request.headers)
    assert (event["type"], event["data"]["invoice_number"]) == ("reminder.sent", "F-1")

    deliveries = (await api.get("/v1/webhook-deliveries")).json()
    assert [(d["event_type"], d["state"]) for d in deliveries] == [("reminder.sent", "succeeded")]
    attempts = (await api.get(f"/v1/webhook-deliveries/{deliveries[0]['id']}/attempts")).json()
    assert [a["status"] for a in attempts] == [204]
    replayed = await api.post(f"/v1/webhook-deliveries/{deliveries[0]['id']}/replay")
    assert replayed.status_code == 409, "a delivery that succeeded is not sent again"

    other = stack.org()
    other["slug"] = f"{stack.slug}-x"
    await stack.load(other)
    outsider = await api.key_for(other["slug"])
    assert (await api.get("/v1/webhook-deliveries", key=outsider)).json() == []
    assert (await api.get(f"/v1/webhook-deliveries/{deliveries[0]['id']}/attempts", key=outsider)).status_code == 404


async def test_a_bad_endpoint_is_refused_with_each_field_named(api):
    response = await api.post("/v1/webhook-endpoints", {"url": "ftp://nowhere", "secret": "short"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e.startswith("url:") for e in errors) and any(e.startswith("secret:") for e in errors)
    assert (await api.get("/v1/webhook-endpoints")).json() == []


async def test_registration_refuses_every_internal_address_naming_the_url(api):
    for url in INTERNAL:
        response = await api.post("/v1/webhook-endpoints", {"url": url})
        assert response.status_code == 422, (url, response.text)
        [error] = response.json()["errors"]
        assert error.startswith("url:") and "not a public address" in error, (url, error)
    assert (await api.get("/v1/webhook-endpoints")).json() == []
