"""`relance webhook …` as a person types it: listen verifies a signed request; add prints the secret
once; deliveries lists failures with their last error; mistakes get a sentence naming the field."""

import asyncio
import os
import sys
from datetime import UTC, datetime

import aiohttp
import pytest

from models import DeliveryState
from relance.webhooks import signing
from relance.webhooks.publishing import Event
from starter.webhooks import add_endpoint, list_deliveries, list_endpoints
from tests import factories as f
from tests.conftest import RECEIVERS, free_port
from tests.test_cli import relance
from tests.webhooks.conftest import org_id, until


async def test_listen_prints_each_event_and_whether_its_signature_is_the_secrets():
    secret, port = signing.new_secret(), free_port()
    listener = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relance.cli", "webhook", "listen", "--port", str(port), "--secret", secret,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=os.environ)
    try:
        assert "listening on" in (await asyncio.wait_for(listener.stdout.readline(), 30)).decode()
        body = signing.body("reminder.sent", datetime.now(UTC), {"invoice_number": "F-1"})
        good = signing.headers(secret, "msg_good", body, datetime.now(UTC))
        forged = signing.headers(signing.new_secret(), "msg_forged", body, datetime.now(UTC))
        async with aiohttp.ClientSession() as http:
            statuses = []
            for headers in (good, forged):
                async with http.post(f"http://127.0.0.1:{port}/", data=body, headers=headers) as response:
                    statuses.append(response.status)
        lines = [(await asyncio.wait_for(listener.stdout.readline(), 10)).decode().split() for _ in range(2)]
    finally:
        listener.terminate()
        await listener.wait()
    assert statuses == [204, 401]
    assert lines == [["reminder.sent", "msg_good", "verified", "yes"],
                     ["reminder.sent", "msg_forged", "verified", "no"]]


async def test_listen_started_before_the_endpoint_verifies_with_the_secret_registered_for_its_address(
        stack, settings):
    """The README's walk: the receiver starts first, the endpoint is registered next, and the receiver
    verifies the first event without being given the secret."""
    port = free_port()
    listener = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relance.cli", "webhook", "listen", "--port", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "RELANCE_DATABASE_URL": settings.database_url})
    try:
        assert "listening on" in (await asyncio.wait_for(listener.stdout.readline(), 30)).decode()
        await stack.load(stack.org(invoices=[f.invoice()]))
        _, secret = await add_endpoint(stack.db, stack.slug, f"http://127.0.0.1:{port}/", allow=RECEIVERS)
        body = signing.body("run.ended", datetime.now(UTC), {"invoice_number": "F-1"})
        async with aiohttp.ClientSession() as http, http.post(f"http://127.0.0.1:{port}/", data=body,
                             headers=signing.headers(secret, "msg_first", body, datetime.now(UTC))) as response:
            status = response.status
        line = (await asyncio.wait_for(listener.stdout.readline(), 10)).decode().split()
    finally:
        listener.terminate()
        await listener.wait()
    assert (status, line) == (204, ["run.ended", "msg_first", "verified", "yes"])


@pytest.mark.slow
async def test_add_list_deliveries_and_mistakes_at_the_terminal(stack, settings, receiver):
    env = {**os.environ, "RELANCE_DATABASE_URL": settings.database_url, "RELANCE_TASK_QUEUE": stack.task_queue,
           "RELANCE_TEMPORAL_ADDRESS": stack.client.service_client.config.target_host}
    await stack.load(stack.org(invoices=[f.invoice()]))
    added = await relance(env, "webhook", "add", stack.slug, receiver.url, "--events", "run.ended")
    assert added.returncode == 0, added.stderr
    [endpoint] = await list_endpoints(stack.db, stack.slug)
    assert f"secret: {endpoint.secret}" in added.stdout
    listed = await relance(env, "webhook", "list", stack.slug)
    assert endpoint.url in listed.stdout and "events: run.ended" in listed.stdout
    assert endpoint.secret not in listed.stdout

    receiver.always = 410
    await stack.webhooks().publish(Event(await org_id(stack.db, stack.slug), stack.slug, "run.ended", "k", {},
                                         datetime(2026, 11, 27, 17, 5, tzinfo=UTC)))
    [failed] = await until(lambda: list_deliveries(stack.db, stack.slug, DeliveryState.FAILED))
    shown = await relance(env, "webhook", "deliveries", stack.slug, "--failed")
    assert f"{failed.id}  2026-11-27 18:05 +01:00  run.ended" in shown.stdout, shown.stdout
    assert "failed     1 attempt(s), last HTTP 410" in shown.stdout and "410 Gone" in shown.stdout

    mistakes = {
        ("webhook", "add", stack.slug, "ftp://x", "--events", "reminder.snt"): ("field url", "field events"),
        ("webhook", "add", "nope", receiver.url): ("organisation 'nope' not found",),
        ("webhook", "remove", stack.slug, "999"): ("webhook endpoint 999 not found",),
        ("webhook", "deliveries", "nope"): ("organisation 'nope' not found",),
        ("webhook", "listen", "--secret", "whsec_x"): ("field secret",),
        ("webhook", "replay", stack.slug, str(failed.id)): (f"webhook endpoint {endpoint.id} is disabled",),
    }
    for args, named in mistakes.items():
        result = await relance(env, *args)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        for words in named:
            assert words in result.stderr, result.stderr
