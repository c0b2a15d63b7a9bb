"""`relance customer …` as a user types it: an account's scenario and tags, the rules, the statement."""

import asyncio
import os
import subprocess

from tests import cli_fork
from tests import factories as f


async def relance(settings, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "RELANCE_DATABASE_URL": settings.database_url, "RELANCE_SES_ENDPOINT": settings.ses_endpoint}
    return await asyncio.to_thread(cli_fork.run, ["customer", *args], env)


async def test_customer_commands_set_check_and_send(stack, settings):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice("F-1"), f.invoice("F-2", status="paid")]))

    refused = await relance(settings, "set", stack.slug, "C1", "--scenario", "nope")
    assert refused.returncode == 2
    assert "account 'C1' › scenario: unknown scenario 'nope'" in refused.stderr
    done = await relance(settings, "set", stack.slug, "C1", "--scenario", "default", "--tags", "vip, key")
    assert done.stdout.strip() == "account C1: scenario default; tags key, vip"
    rules = await relance(settings, "rules", stack.slug, "--set", '[{"tag": "vip", "scenario": "default"}]')
    assert "1. tag vip → scenario default" in rules.stdout, rules.stderr

    shown = await relance(settings, "statement", stack.slug, "C1")
    assert shown.returncode == 0, shown.stderr
    assert "To: billing@dupont.example.org" in shown.stdout and "Total dû : 1\u202f200,00\xa0€" in shown.stdout
    assert "F-2" not in shown.stdout and stack.sent() == []
    sent = await relance(settings, "statement", stack.slug, "C1", "--send")
    [message] = stack.sent()
    assert f"sent: sent [{message['message_id']}]" in sent.stdout
    nothing = await relance(settings, "statement", stack.slug, "C9")
    assert nothing.returncode == 1
    assert nothing.stderr == f"relance customer: account 'C9' of organisation {stack.slug!r} not found\n"
