"""Endpoints and deliveries belong to one organisation; a bad endpoint is refused naming its fields."""

from datetime import date

import pytest

from models import DeliveryState
from relance.repository import NotFound
from relance.webhooks.errors import EndpointExists, EndpointRejected
from relance.webhooks.publishing import Event
from starter.webhooks import (
    add_endpoint,
    delivery_attempts,
    list_deliveries,
    list_endpoints,
    remove_endpoint,
    replay_delivery,
)
from tests import factories as f
from tests.conftest import RECEIVERS
from tests.webhooks.conftest import org_id, until


async def test_another_organisation_cannot_see_touch_or_replay_a_delivery(stack, receiver):
    receiver.always = 410  # fails at once, so there is a failed delivery to try to replay
    await stack.load(stack.org(invoices=[f.invoice()]))
    other = stack.slug + "-other"
    await stack.load(f.org(slug=other, invoices=[f.invoice()]))
    endpoint, _ = await add_endpoint(stack.db, stack.slug, receiver.url, allow=RECEIVERS)
    await stack.webhooks().publish(Event(await org_id(stack.db, stack.slug), stack.slug, "run.ended", "k", {},
                                         await stack.now()))
    [delivery] = await until(lambda: list_deliveries(stack.db, stack.slug, DeliveryState.FAILED))

    assert await list_endpoints(stack.db, other) == []
    assert await list_deliveries(stack.db, other) == []
    for attempt in (replay_delivery(stack.client, stack.db, stack.task_queue, other, delivery.id),
                    delivery_attempts(stack.db, other, delivery.id)):
        with pytest.raises(NotFound, match=f"webhook delivery {delivery.id} not found in organisation"):
            await attempt
    with pytest.raises(NotFound, match=f"webhook endpoint {endpoint.id} not found"):
        await remove_endpoint(stack.db, other, endpoint.id)
    [kept] = await list_endpoints(stack.db, stack.slug)
    assert kept.disabled_reason == "the endpoint answered 410 Gone", "untouched by the other organisation"


@pytest.mark.parametrize(("url", "events", "secret", "fields"), [
    ("ftp://hooks.example.org/x", None, None, {"url"}),
    ("https://", None, None, {"url"}),
    ("https://hooks.example.org/x", [" "], None, {"events"}),
    ("hooks.example.org", ["reminder.snt"], None, {"url", "events"}),
    ("https://hooks.example.org/x", ["reminder.sent", "invoice.paid"], "whsec_short", {"events", "secret"}),
])
async def test_a_bad_endpoint_is_refused_naming_each_field_and_nothing_is_written(db, clean, url, events, secret,
                                                                                  fields):
    await f.load(db, f.org(slug="acme"), date(2026, 11, 27))
    with pytest.raises(EndpointRejected) as refused:
        await add_endpoint(db, "acme", url, events, secret)
    assert set(refused.value.problems) == fields
    for field in fields:
        assert f"field {field}:" in str(refused.value)
    assert await list_endpoints(db, "acme") == []


async def test_an_endpoint_keeps_a_given_secret_and_removing_it_disables_it(db, clean):
    await f.load(db, f.org(slug="acme"), date(2026, 11, 27))
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    endpoint, shown = await add_endpoint(db, "acme", "https://hooks.example.org/relance", ["run.ended"], secret)
    assert (shown, endpoint.event_types, endpoint.enabled) == (secret, ["run.ended"], True)
    await remove_endpoint(db, "acme", endpoint.id)
    [listed] = await list_endpoints(db, "acme")
    assert (listed.enabled, listed.disabled_reason) == (False, "removed")


async def test_registering_a_url_already_registered_says_so_until_it_is_removed(db, clean):
    await f.load(db, f.org(slug="acme"), date(2026, 11, 27))
    first, _ = await add_endpoint(db, "acme", "https://hooks.example.org/relance")
    with pytest.raises(EndpointExists) as twice:
        await add_endpoint(db, "acme", "https://hooks.example.org/relance", ["run.ended"])
    assert f"already registered as endpoint {first.id}" in str(twice.value)
    assert len(await list_endpoints(db, "acme")) == 1
    await remove_endpoint(db, "acme", first.id)
    again, _ = await add_endpoint(db, "acme", "https://hooks.example.org/relance")
    assert again.id != first.id
