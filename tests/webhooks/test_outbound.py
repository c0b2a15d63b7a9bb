"""A tenant's webhook URL reaches public addresses only (relance.outbound): internal addresses in any
spelling are refused at registration, a name that resolves to one is refused again when the worker
connects, no redirect is followed, and no byte of an answer's body is read back to the tenant.
(Registration over HTTP: tests/api/test_webhooks_api.py.)"""

from __future__ import annotations

import ipaddress
import socket
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from models import WebhookDelivery
from relance import outbound
from relance.config import Settings
from relance.local.stack import LocalStack
from relance.webhooks.publishing import Event
from starter.webhooks import add_endpoint, list_deliveries
from tests import factories as f
from tests.conftest import RECEIVERS, free_port
from tests.webhooks.conftest import org_id, until

INTERNAL = ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/", "http://[::1]/",
            "http://0.0.0.0/", "http://2130706433/", "http://localhost/", "http://[::ffff:127.0.0.1]/",
            "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/", "http://[fe80::1]/", "http://100.64.0.1/",
            "http://224.0.0.1/", "http://[2002:7f00:1::]/", "http://[64:ff9b::a9fe:a9fe]/"]
WHAT_THE_RECEIVER_HIDES = "aws_secret_access_key=internal-metadata "


@asynccontextmanager
async def serving(handler):
    """One route answering every POST with `handler`, on 127.0.0.1 (the tests' allow-list admits it)."""
    app = web.Application()
    app.router.add_post("/{path:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        await runner.cleanup()


async def first_attempted(stack) -> WebhookDelivery:
    """Publish one event to the organisation's endpoints; its delivery once the first attempt is recorded."""
    await stack.webhooks().publish(Event(await org_id(stack.db, stack.slug), stack.slug, "run.ended", "k", {},
                                         await stack.now()))
    [delivery] = await until(lambda: _attempted(stack))
    return delivery


async def _attempted(stack):
    return [d for d in await list_deliveries(stack.db, stack.slug) if d.attempts >= 1]


def test_relance_up_lets_its_worker_and_api_reach_its_local_receiver_and_nothing_else_internal(tmp_path):
    env = LocalStack(Settings(home=tmp_path, outbound_allow="")).outbound_env()
    allow = outbound.Allowlist.parse(env["RELANCE_OUTBOUND_ALLOW"])
    assert allow.admits("127.0.0.1", 8765)
    assert not allow.admits("127.0.0.1", 5432) and not allow.admits("localhost", 8765)


async def test_a_host_name_no_resolver_takes_is_refused_naming_it():
    for url in ("http://a..b/", "http://ex\x00ample.org/", f"http://{'a' * 300}.org/"):
        assert "is not a host name" in await outbound.url_problem(url, RECEIVERS)


@pytest.mark.parametrize("url", INTERNAL)
async def test_the_worker_refuses_an_internal_address_written_into_the_table(url):
    answer = await outbound.post(url, b"{}", {}, RECEIVERS)
    assert (answer.status, answer.reason) == (None, outbound.REFUSED)


async def test_a_name_that_resolves_to_loopback_at_delivery_is_refused_though_public_at_registration(
        stack, receiver, monkeypatch):
    answers = iter([ipaddress.ip_address("93.184.216.34")])  # registration: public; then 127.0.0.1 (rebinding)

    async def rebinding(host, port):
        return [(next(answers, ipaddress.ip_address("127.0.0.1")), socket.AF_INET)]

    monkeypatch.setattr(outbound, "lookup", rebinding)
    await stack.load(stack.org(invoices=[f.invoice()]))
    await add_endpoint(stack.db, stack.slug, f"http://hooks.rebind.example:{receiver.port}/hooks", allow=RECEIVERS)

    delivery = await first_attempted(stack)
    assert (delivery.last_status, delivery.last_error) == (None, "refused: address not allowed")
    assert receiver.requests == [], "nothing reached the address the name rebound to"


async def test_an_endless_answer_is_not_read_and_the_tenant_sees_only_its_status(stack):
    written = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal written
        response = web.StreamResponse(status=500, headers={"content-type": "text/plain"})
        await response.prepare(request)
        chunk = (WHAT_THE_RECEIVER_HIDES * 4096).encode()
        try:
            while written < 150 * 2**20:
                await response.write(chunk)
                written += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the worker hung up
        return response

    await stack.load(stack.org(invoices=[f.invoice()]))
    async with serving(endless) as url:
        await add_endpoint(stack.db, stack.slug, url, allow=RECEIVERS)
        delivery = await first_attempted(stack)
    assert (delivery.last_status, delivery.last_error) == (500, "HTTP 500")
    assert written < 16 * 2**20, f"{written / 2**20:.1f} MB of 150 MB left the receiver: the rest was never read"


async def test_a_redirect_to_an_internal_address_is_not_followed(stack):
    internal = []

    async def metadata(request: web.Request) -> web.Response:
        internal.append(await request.read())
        return web.Response(text=WHAT_THE_RECEIVER_HIDES)

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(location=inner.replace("127.0.0.1", "localhost"), text=WHAT_THE_RECEIVER_HIDES)

    await stack.load(stack.org(invoices=[f.invoice()]))
    async with serving(metadata) as inner, serving(redirect) as url:
        await add_endpoint(stack.db, stack.slug, url, allow=RECEIVERS)
        delivery = await first_attempted(stack)
    assert (delivery.last_status, delivery.last_error) == (307, "HTTP 307")
    assert internal == []
