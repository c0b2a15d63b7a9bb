"""`relance marketing …` as a person types it, on the dev server: enrol a contact, see its email (with
the unsubscribe link and List-Unsubscribe) in `relance mail`, enrol again (a no-op that says so), a
batch by tag with progress, show, remove."""

import asyncio
import re

import pytest
import yaml

from relance.local.ses import sent_messages
from tests import factories as f
from tests.test_cli import relance, until


async def _shown(env, slug: str, text: str) -> str:
    for _ in range(20):
        shown = await relance(env, "marketing", "show", slug, "C1-billing")
        if text in shown.stdout:
            return shown.stdout
        await asyncio.sleep(0.2)
    raise AssertionError(f"{text!r} never shown:\n{shown.stdout}{shown.stderr}")


@pytest.mark.slow
async def test_enrol_mail_show_enrol_again_batch_remove(dev_stack, mailer, ses_endpoint, tmp_path):
    _, task_queue, env = dev_stack
    slug = f"mkt-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    data = f.marketing_org(slug)
    data["accounts"][0]["contacts"].append({"ref": "C1-anne", "email": "anne@dupont.example.org",
                                            "tags": ["newsletter"]})
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [data]}, allow_unicode=True))
    imported = await relance(env, "import", str(tmp_path / "data.yaml"))
    assert imported.returncode == 0 and "1 marketing_scenarios" in imported.stdout, imported.stderr

    preview = await relance(env, "marketing", "preview", slug, "welcome", "C1-billing")
    assert preview.returncode == 0 and "subject: Bienvenue Jean" in preview.stdout, preview.stderr
    assert "step 3. Conseils (email)" in preview.stdout and sent_messages(ses_endpoint) == []
    enrolled = await relance(env, "marketing", "enrol", slug, "welcome", "C1-billing", "--by", "claire")
    assert enrolled.returncode == 0, enrolled.stderr
    assert f"contact C1-billing: enrolled: the run started (marketing:{slug}:welcome:C1-billing)" in enrolled.stdout
    await until(lambda: len(sent_messages(ses_endpoint)) == 1)
    mail = await relance(env, "mail", "--show", "1")
    assert "Bienvenue Jean" in mail.stdout and "List-Unsubscribe: <http" in mail.stdout
    assert "/u/" in mail.stdout.split("List-Unsubscribe:", 1)[1].split("\n", 2)[2]  # the link in the body too

    again = await relance(env, "marketing", "enrol", slug, "welcome", "C1-billing")
    assert "already running in this scenario: nothing done" in again.stdout, again.stderr
    batch = await relance(env, "marketing", "enrol", slug, "welcome", "--tag", "newsletter")
    assert "[1/2] C1-billing: already running" in batch.stdout and "[2/2] C1-anne: enrolled" in batch.stdout
    assert "2 contact(s): 1 already_running, 1 started" in batch.stdout

    shown = await _shown(env, slug, "step 3. Conseils")
    assert "tags: newsletter" in shown and "marketing consent: subscribed" in shown
    assert "welcome: enrolled" in shown and "by claire, 1 email(s), waiting" in shown

    refused = await relance(env, "marketing", "remove", slug, "welcome", "C1-billing", "--reason", " ")
    assert refused.returncode == 1 and "field reason is empty" in refused.stderr
    removed = await relance(env, "marketing", "remove", slug, "welcome", "C1-billing", "--reason", "asked by phone",
                            "--by", "claire")
    assert removed.returncode == 0 and "removed from welcome by claire" in removed.stdout, removed.stderr
    ended = await _shown(env, slug, "removed (by claire: asked by phone)")
    assert "1 email(s), ended" in ended
    # Marketing enrolments are the scenario's runs: C1-billing's (ended) and C1-anne's (running).
    for _ in range(20):
        versions = await relance(env, "scenario", "versions", slug)
        if "2 run(s)" in versions.stdout:
            break
        await asyncio.sleep(0.2)
    assert re.search(r"welcome +marketing +v\d+ +1 running / 2 run\(s\)", versions.stdout), versions.stdout

    switched = await relance(env, "marketing", "switch", slug, "welcome", "off")  # C1-anne's run exits now
    assert "switched off: 1 running enrolment(s) exit now" in switched.stdout, switched.stderr


async def test_campaign_create_launch_with_progress_show(dev_stack, mailer, ses_endpoint, tmp_path):
    _, task_queue, env = dev_stack
    slug = f"cmp-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    data = f.marketing_org(slug)
    data["accounts"][0]["contacts"] += [{"ref": f"R{n}", "email": f"r{n}@example.org", "tags": ["newsletter"]}
                                        for n in range(30)]
    data["accounts"][0]["contacts"][1]["opted_out"] = True
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [data]}, allow_unicode=True))
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0

    refused = await relance(env, "marketing", "campaign", "create", slug, "promo", "--name", "Promo",
                            "--template", "first", "--tag", "newsletter")
    assert refused.returncode == 2 and "unknown merge field(s) [[!Number]]" in refused.stderr
    created = await relance(env, "marketing", "campaign", "create", slug, "promo", "--name", "Promo",
                            "--template", "tips", "--tag", "newsletter")
    assert "campaign promo (Promo): draft" in created.stdout, created.stderr
    launched = await relance(env, "marketing", "campaign", "launch", slug, "promo")
    assert launched.returncode == 0, launched.stderr
    assert "] 31 of 31" in launched.stdout  # the progress bar's last line
    assert "campaign promo finished: 30 sent, 1 skipped, 0 failed, 0 cancelled of 31" in launched.stdout
    shown = await relance(env, "marketing", "campaign", "show", slug, "promo")
    assert "finished; 30 sent, 1 skipped" in shown.stdout
    assert re.search(r"\n  R0 +skipped +\(opted_out\)", shown.stdout)
    assert len(sent_messages(ses_endpoint)) == 30
