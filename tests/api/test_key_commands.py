"""`relance apikey create|list|revoke` as a person runs them, and keys never reach a log."""

from __future__ import annotations

import asyncio
import logging
import subprocess

from tests import cli_fork


async def relance(env: dict, *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(cli_fork.run, list(args), env)


async def test_a_key_made_by_the_cli_opens_the_api_until_it_is_revoked(api, dev_stack):
    env = dev_stack[2]
    created = await relance(env, "apikey", "create", api.stack.slug, "--name", "host app")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("rlk_") and "shown once" in created.stdout
    assert (await api.get("/v1/forecast", key=token)).status_code == 200
    listed = await relance(env, "apikey", "list", api.stack.slug)
    assert "host app" in listed.stdout and token not in listed.stdout and "2 key(s)" in listed.stdout
    key_id = created.stdout.split()[2]
    revoked = await relance(env, "apikey", "revoke", api.stack.slug, key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert (await api.get("/v1/forecast", key=token)).status_code == 401
    assert "revoked" in (await relance(env, "apikey", "list", api.stack.slug)).stdout


async def test_a_key_for_an_unknown_organisation_is_a_sentence_not_a_traceback(dev_stack):
    result = await relance(dev_stack[2], "apikey", "create", "nobody")
    assert result.returncode == 1
    assert "organisation 'nobody' not found" in result.stderr and "Traceback" not in result.stderr


async def test_keys_never_reach_the_logs(api, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    await api.get("/v1/forecast")
    await api.get("/v1/forecast", key="rlk_wrong-key-that-must-not-be-logged")
    await api.post("/v1/invoices/NOPE/payments", {"ref": "P", "amount": "1"}, headers={"Idempotency-Key": "k"})
    logged = caplog.text + capsys.readouterr().out
    assert api.key not in logged and "rlk_wrong-key-that-must-not-be-logged" not in logged
