"""The setup commands as a user types them: the same functions as the HTTP API's setup routes."""

import pytest
import yaml

from relance.local.ses import sent_messages
from tests import factories as f
from tests.test_cli import relance, until


@pytest.mark.slow
async def test_settings_templates_default_apply_and_send_now_from_the_command_line(dev_stack, mailer, ses_endpoint,
                                                                                    tmp_path):
    client, task_queue, env = dev_stack
    slug = f"cli-{task_queue[-8:]}"
    data = {"organisations": [f.org(slug=slug, invoices=[f.invoice("F-1", due="today+30")],
                                    scenarios=[{"key": "default", "name": "Relances", "steps": f.DEFAULT_STEPS},
                                               {"key": "short", "name": "Court", "steps": f.ONE_REMINDER}])]}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0

    unverified = await relance(env, "settings", "dunning", slug, "--sender", f.SENDER, "--days", "mon-fri")
    assert unverified.returncode == 2 and "is not a verified address" in unverified.stderr
    await mailer.verify(f.SENDER)
    changed = await relance(env, "settings", "dunning", slug, "--window", "08:00-17:00")
    assert changed.returncode == 0, changed.stderr
    assert "send_window            ['08:00:00', '17:00:00']" in changed.stdout and "mon-sun" in changed.stdout
    renewal = await relance(env, "settings", "renewal", slug, "--days", "12")
    assert "alert_days             12" in renewal.stdout, renewal.stderr

    listed = await relance(env, "template", "list", slug)
    assert "rappel" in listed.stdout and "renewal" in listed.stdout, listed.stderr
    rendered = await relance(env, "template", "preview", slug, "rappel", "--invoice", "F-1")
    assert "subject: Rappel facture F-1" in rendered.stdout, rendered.stderr

    made = await relance(env, "scenario", "default", slug, "short")
    assert "scenario short v1 is now the default" in made.stdout, made.stderr
    assert (await relance(env, "scenario", "default", slug, "default")).returncode == 0

    applied = await relance(env, "apply", slug, "F-1", "--by", "anna")
    assert "scenario applied to invoice F-1" in applied.stdout, applied.stderr
    for _ in range(50):
        sent = await relance(env, "send-now", slug, "F-1", "--by", "anna")
        if sent.returncode == 0:
            break
    assert "asked to go now by anna" in sent.stdout, sent.stderr
    await until(lambda: [m["subject"] for m in sent_messages(ses_endpoint)] == ["Rappel facture F-1"])
    shown = await relance(env, "show", slug, "F-1")
    assert "asked by anna" in shown.stdout, shown.stdout
