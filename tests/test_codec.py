"""PII encryption: with a key configured, no address, name or amount is readable in the raw history;
the codec server gives them back to the UI (CORS, bearer token)."""

import base64
import os
import uuid

import aiohttp
import pytest
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client

from relance.temporal.client import DATA_CONVERTER
from relance.temporal.codec import EncryptionCodec, codec_from, parse_keys, with_codec
from relance.temporal.codec_server import build_app
from starter.dunning import start_dunning_run
from tests import factories as f
from tests.conftest import free_port
from worker import build_worker

KEY = base64.b64encode(os.urandom(32)).decode()
PII = [b"billing@dupont.example.org", b"Dupont", b"1200.00", "1\u202f200,00".encode()]


async def run_one_reminder(stack, codec) -> list[bytes]:
    """Run a reminder with a worker and client using `codec`; the raw history's bytes."""
    client = Client(stack.client.service_client, namespace=stack.client.namespace,
                    data_converter=with_codec(DATA_CONVERTER, codec))
    queue = f"codec-{uuid.uuid4()}"
    async with build_worker(client, queue, stack.db, stack.mailer):
        handle = await start_dunning_run(client, queue, stack.slug, "F-1", "C1")
        result = await handle.result()
        assert result.emails_sent == 1
        history = await handle.fetch_history()
    return [event.SerializeToString() for event in history.events]


async def test_history_holds_no_pii_with_the_codec_and_does_without(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice("F-1")]))
    clear = b"".join(await run_one_reminder(stack, None))
    assert b"billing@dupont.example.org" in clear  # the check below can fail

    stack.slug = f"{stack.slug}-enc"
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice("F-1")]))
    raw = b"".join(await run_one_reminder(stack, codec_from(f"k1:{KEY}")))
    assert [secret for secret in PII if secret in raw] == []
    assert b"binary/encrypted" in raw


async def test_key_rotation_old_payloads_still_decode():
    old, new = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    before = EncryptionCodec(*parse_keys(f"k1:{old}"))
    after = EncryptionCodec(*parse_keys(f"k2:{new},k1:{old}"))
    sealed = await before.encode([Payload(data=b"secret")])
    assert (await after.decode(sealed))[0].data == b"secret"
    resealed = await after.encode([Payload(data=b"secret")])
    assert resealed[0].metadata["encryption-key-id"] == b"k2"
    with pytest.raises(ValueError, match="unknown key id 'k2'"):
        await before.decode(resealed)


def test_bad_key_configuration_is_named():
    with pytest.raises(ValueError, match="'k1' must be id:base64 of 32 bytes"):
        parse_keys("k1:c2hvcnQ=")


async def test_codec_server_decodes_for_the_ui_with_cors_and_token():
    codec = codec_from(f"k1:{KEY}")
    port = free_port()
    runner = web.AppRunner(build_app(codec, ["http://localhost:8233"], token="s3cret"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    sealed = Payloads(payloads=await codec.encode([Payload(metadata={"encoding": b"json/plain"},
                                                           data=b'"billing@dupont.example.org"')]))
    body = json_format.MessageToJson(sealed)
    url = f"http://127.0.0.1:{port}/decode"
    headers = {"Origin": "http://localhost:8233", "Content-Type": "application/json", "X-Namespace": "default"}
    try:
        async with aiohttp.ClientSession() as http:
            async with http.options(url, headers={**headers, "Access-Control-Request-Method": "POST"}) as pre:
                assert pre.headers["Access-Control-Allow-Origin"] == "http://localhost:8233"
                assert "x-namespace" in pre.headers["Access-Control-Allow-Headers"]
            async with http.post(url, data=body, headers=headers) as refused:
                assert refused.status == 401
            async with http.post(url, data=body, headers={**headers, "Authorization": "Bearer s3cret"}) as ok:
                decoded = json_format.Parse(await ok.text(), Payloads())
        assert decoded.payloads[0].data == b'"billing@dupont.example.org"'
    finally:
        await runner.cleanup()
