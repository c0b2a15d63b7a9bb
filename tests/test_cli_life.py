"""A run's life from the command line (issue 22): pause and resume an invoice's reminders, exclude and
readmit an account, a minimum amount; refusals are one sentence naming the field, exit code 2."""

from datetime import date, timedelta

import pytest
import yaml

from relance.local.ses import sent_messages
from tests import factories as f
from tests.test_cli import relance, until, until_shown


@pytest.mark.slow
async def test_pause_resume_exclude_readmit_and_minimum_from_the_command_line(dev_stack, mailer, ses_endpoint,
                                                                              tmp_path):
    client, task_queue, env = dev_stack
    slug = f"cli-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    data = {"organisations": [f.org(slug=slug, invoices=[f.invoice("F-1")])]}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0
    assert (await relance(env, "apply", slug, "F-1", "--by", "anna")).returncode == 0
    await until(lambda: len(sent_messages(ses_endpoint)) == 1)
    await until_shown(env, slug, "F-1", text="now: waiting at step 4.")

    until_day = date.today() + timedelta(days=10)
    late = await relance(env, "pause", slug, "F-1", "--until", str(date.today() - timedelta(days=1)),
                         "--reason", "dispute")
    assert late.returncode == 2 and "field until" in late.stderr, late.stderr
    paused = await relance(env, "pause", slug, "F-1", "--until", str(until_day), "--reason", "dispute",
                           "--note", "livraison contestée", "--by", "anna")
    assert paused.returncode == 0, paused.stderr
    assert f"reminders paused (dispute) until {until_day} 00:00 +0" in paused.stdout, paused.stdout
    await until_shown(env, slug, "F-1", text="now: paused at step 4.")
    # --by defaults to who runs the command ($USER, read when it runs)
    resumed = await relance({**env, "USER": "anna"}, "resume", slug, "F-1", "--note", "avoir émis")
    assert "reminders resumed by anna; the run is waiting" in resumed.stdout, resumed.stderr
    shown = (await relance(env, "show", slug, "F-1")).stdout
    assert "paused (dispute until" in shown and "resumed (by anna: avoir émis)" in shown, shown

    excluded = await relance(env, "exclude", slug, "C1", "--reason", "compte clé")
    assert "account C1 excluded from dunning (compte clé)" in excluded.stdout, excluded.stderr
    unknown = await relance(env, "exclude", slug, "C404", "--reason", "x")
    assert unknown.returncode != 0 and "account 'C404'" in unknown.stderr
    readmitted = await relance(env, "readmit", slug, "C1")
    assert "account C1 readmitted to dunning; 0 held run(s) resumed" in readmitted.stdout, readmitted.stderr

    minimum = await relance(env, "settings", "dunning", slug, "--minimum", "EUR=5.00")
    assert "minimum_amounts        {'EUR': '5.00'}" in minimum.stdout, minimum.stderr
    refused = await relance(env, "settings", "dunning", slug, "--minimum", "EUR=0.001")
    assert refused.returncode == 2 and "dunning › minimum_amounts: Value error, 0.001 has more decimals than EUR" \
        in refused.stderr, refused.stderr
