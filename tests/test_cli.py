"""The `relance` command line as a user types it, against the dev server, PostgreSQL and local SES."""

import asyncio
import os
import re
import subprocess
import sysconfig
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from relance.dunning.starting import start_dunning_run
from relance.local.ses import sent_messages
from tests import cli_fork
from tests import factories as f
from tests.pipeline import data as pipeline_data

TEMPORAL_CLI = os.path.join(sysconfig.get_path("scripts"), "temporal")


async def relance(env, *args) -> subprocess.CompletedProcess:
    """Run the command in a thread: the test's worker shares this event loop and must keep polling."""
    return await asyncio.to_thread(cli_fork.run, list(args), env)


async def until_shown(env, *args, text: str):
    for _ in range(100):
        if text in (await relance(env, "show", *args)).stdout:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{text!r} never shown")


async def until(condition):
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met")


@pytest.mark.slow
async def test_import_sweep_show_pay_cancel(dev_stack, mailer, ses_endpoint, tmp_path):
    client, task_queue, env = dev_stack
    slug = f"cli-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    data = {"organisations": [f.org(slug=slug, invoices=[f.invoice("F-1"), f.invoice("F-2")])]}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    imported = await relance(env, "import", str(tmp_path / "data.yaml"))
    assert imported.returncode == 0, imported.stderr
    assert "imported 1 organisation(s)" in imported.stdout and "2 invoices" in imported.stdout
    assert f"dunning-sweep:{slug}" in imported.stdout

    swept = await relance(env, "sweep", "--org", slug)
    assert f"sweep {slug}: 2 invoice(s) without their run, 2 run(s) started" in swept.stdout, swept.stderr
    await until(lambda: len(sent_messages(ses_endpoint)) == 2)
    # The sweep is a run of the nightly Schedule itself, in its "Recent runs", not a workflow beside it.
    assert f"of Schedule dunning-sweep:{slug})" in swept.stdout
    again = await relance(env, "sweep", "--org", slug)
    assert f"sweep {slug}: 0 invoice(s) without their run, 0 run(s) started" in again.stdout, again.stderr
    recent = (await client.get_schedule_handle(f"dunning-sweep:{slug}").describe()).info.recent_actions
    assert [a.action.workflow_id in swept.stdout + again.stdout for a in recent] == [True, True]

    shown = await relance(env, "show", slug, "F-1")
    assert "email sent → billing@dupont.example.org" in shown.stdout, shown.stdout
    assert "next at" in shown.stdout
    # Every time in the organisation's zone, with its offset (not UTC for some lines and +01:00 for others).
    times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(\S*)( [+-]\d\d:\d\d)?", shown.stdout)
    assert len(times) >= 2 and set(times) <= {("", " +01:00"), ("", " +02:00")}, shown.stdout

    paid = await relance(env, "pay", slug, "F-1", "200", "--ref", "VIR-9")
    assert "still due: 1000.00" in paid.stdout, paid.stderr

    cancelled = await relance(env, "cancel", slug, "F-1", "--reason", "disputed", "--by", "ops")
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    await until_shown(env, slug, "F-1", text="ended: cancelled")
    ended = (await relance(env, "show", slug, "F-1")).stdout
    assert ended.startswith(f"dunning:{slug}:F-1: ended: cancelled\n"), ended  # not "ended, ended: cancelled"
    assert re.search(r"\d\d:\d\d run ended \(", ended) and "step -" not in ended and "exit exited" not in ended, ended

    # The README's way for developers: the Temporal CLI, with the signal's JSON argument.
    signalled = await asyncio.to_thread(subprocess.run,
        [TEMPORAL_CLI, "workflow", "signal", "--address", env["RELANCE_TEMPORAL_ADDRESS"],
         "--workflow-id", f"dunning:{slug}:F-2", "--name", "cancel_reminders",
         "--input", '{"reason": "paid by cheque", "by": "dev"}'],
        capture_output=True, text=True, timeout=60)
    assert signalled.returncode == 0, signalled.stderr
    await until_shown(env, slug, "F-2", text="by dev: paid by cheque")
    overpaid = await relance(env, "pay", slug, "F-2", "5000", "--ref", "VIR-10")
    assert overpaid.returncode == 0, overpaid.stderr
    assert "warning: overpaid by 3800.00 (5000 paid, 1200.00 was due)" in overpaid.stdout, overpaid.stdout
    assert "still due" not in overpaid.stdout

    mail = await relance(env, "mail")
    assert "Facture F-1 impayée" in mail.stdout
    # When it went, in the organisation's zone with its offset, from and to.
    [listed] = re.findall(r"#(\d+)  (\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d)  (.+?)  →  (\S+)(.*)\n    Facture F-1",
                          mail.stdout)
    number, when, sender, to, copies = listed
    assert when.endswith(datetime.now(ZoneInfo("Europe/Paris")).isoformat(timespec="minutes")[-6:])
    assert (sender, to, copies) == (f"Claire Martin <{f.SENDER}>", "billing@dupont.example.org", "")
    shown_mail = await relance(env, "mail", "--show", number)
    body = shown_mail.stdout.replace("\u202f", " ").replace("\xa0", " ")
    assert "Bonjour M. Jean Dupont, reste dû : 1 200,00 €" in body and "<p>" not in body  # read as text
    missing = await relance(env, "mail", "--show", "9999")
    assert missing.returncode == 1 and "no email #9999" in missing.stdout


async def test_bad_import_file_names_the_field_and_fails(dev_stack, tmp_path):
    _, _, env = dev_stack
    organisation = f.org(slug="bad")
    organisation["accounts"][0]["contacts"][0]["email"] = "nobody-at-example"
    (tmp_path / "bad.json").write_text(__import__("json").dumps({"organisations": [organisation]}))
    result = await relance(env, "import", str(tmp_path / "bad.json"))
    assert result.returncode == 2
    assert "nothing imported" in result.stderr
    assert "contacts[0] 'C1-billing' › email" in result.stderr


@pytest.mark.slow
async def test_scenario_authoring_commands(dev_stack, mailer, ses_endpoint, tmp_path):
    _, task_queue, env = dev_stack
    slug = f"author-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    data = {"organisations": [f.org(slug=slug, invoices=[f.invoice("F-1", "today+10")])]}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0

    wizard = await relance(env, "scenario", "init", slug, "--first-days", "7", "--second-days", "14",
                           "--sender", f.SENDER)
    assert "scenario default v2 created" in wizard.stdout, wizard.stderr
    shown = await relance(env, "scenario", "show", slug)
    scenario = yaml.safe_load(shown.stdout)
    assert scenario["steps"][0]["offset_days"] == 7 and scenario["steps"][1]["days"] == 14

    scenario["steps"][0]["template"] = "missing"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    checked = await relance(env, "scenario", "validate", slug, str(tmp_path / "bad.yaml"))
    assert checked.returncode == 1 and "step 1 'Première relance' › template: unknown template" in checked.stdout
    refused = await relance(env, "scenario", "apply", slug, str(tmp_path / "bad.yaml"))
    assert refused.returncode == 2 and "nothing applied" in refused.stderr

    listed = await relance(env, "scenario", "versions", slug)
    assert "v1" in listed.stdout and "v2 " in listed.stdout and "default" in listed.stdout

    preview = await relance(env, "preview", slug, "F-1")
    assert "Première relance (email)" in preview.stdout and "to billing@dupont.example.org" in preview.stdout

    started = await relance(env, "simulate", "start", slug, "--as", f.SENDER)
    assert "simulation" in started.stdout, started.stderr
    step = await relance(env, "simulate", "next", slug, "--as", f.SENDER)
    assert "step 1. Première relance (email): sent" in step.stdout, step.stderr
    assert sent_messages(ses_endpoint)[-1]["destinations"]["to"] == [f.SENDER]
    stopped = await relance(env, "simulate", "stop", slug, "--as", f.SENDER)
    assert "simulation stopped" in stopped.stdout

    fc = await relance(env, "forecast", slug, "--days", "40", "--json")
    assert fc.returncode == 0 and fc.stdout.strip() == "[]"  # no run yet, nothing overdue tonight


@pytest.mark.slow
async def test_renewal_upcoming_sweep_show_cancel(dev_stack, mailer, tmp_path):
    _, task_queue, env = dev_stack
    slug = f"ren-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    # A send window one second wide at midnight: the notice started now waits for it, so it can be cancelled.
    contracts = [f.contract("CT-1"), f.contract("CT-2", "today-10"), f.contract("CT-M", "today-25", "monthly")]
    data = {"organisations": [f.org(slug=slug, dunning={"send_window": ["00:00", "00:00:01"]}, renewals=f.RENEWALS,
                                    contracts=contracts)]}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    imported = await relance(env, "import", str(tmp_path / "data.yaml"))
    assert "3 contracts" in imported.stdout and f"renewal-inspection:{slug}" in imported.stdout, imported.stderr

    upcoming = await relance(env, "renewal", "upcoming", slug, "--days", "80")
    lines = upcoming.stdout.splitlines()
    assert "2 notice(s)" in lines[-1], upcoming.stdout + upcoming.stderr
    assert "CT-1" in lines[1] and "[due now]" in lines[1] and "billing@dupont.example.org" in lines[1]
    assert "CT-2" in lines[2] and "[planned]" in lines[2]
    assert "CT-M" not in upcoming.stdout

    swept = await relance(env, "sweep", "--org", slug)
    assert f"renewals {slug}: 1 notice(s) due, 1 notice(s) started" in swept.stdout, swept.stderr
    await until_renewal_shown(env, slug, "CT-1", text="now waiting, sends at")

    cancelled = await relance(env, "renewal", "cancel", slug, "CT-1", "--reason", "renegotiated", "--by", "ops")
    assert cancelled.returncode == 0 and f"renewal notice renewal:{slug}:CT-1:" in cancelled.stdout
    await until_renewal_shown(env, slug, "CT-1", text="ended, cancelled; by ops: renegotiated")  # said once
    again = await relance(env, "renewal", "cancel", slug, "CT-1", "--reason", "twice")
    assert again.returncode == 1 and "no renewal notice waiting" in again.stdout
    assert "[cancelled]" in (await relance(env, "renewal", "upcoming", slug)).stdout


async def until_renewal_shown(env, org, contract, text: str):
    for _ in range(100):
        shown = await relance(env, "renewal", "show", org, contract)
        if text in shown.stdout:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{text!r} never shown:\n{shown.stdout}{shown.stderr}")


async def test_an_interrupted_import_is_completed_by_importing_again(dev_stack, db, mailer, tmp_path):
    """Ctrl-C after the rows were written but before the runs were started (here: the rows written by
    the importer alone): importing the same file again starts every open invoice's run, new or not,
    due or not, when the organisation starts runs at creation."""
    _, task_queue, env = dev_stack
    slug = f"again-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    organisation = f.org(slug=slug, dunning={"apply_to_new_invoices": True},
                         invoices=[f.invoice("F-1"), f.invoice("F-2", due="today+20"), f.invoice("F-3", status="paid")])
    await f.load(db, organisation, f.date.today())
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [organisation]}), encoding="utf-8")
    imported = await relance(env, "import", str(tmp_path / "data.yaml"))
    assert imported.returncode == 0, imported.stderr
    assert "started 2 run(s) at invoice creation" in imported.stdout, imported.stdout
    for number in ("F-1", "F-2"):
        await until_shown(env, slug, number, text=f"dunning:{slug}:{number}:")


@pytest.mark.slow
async def test_pipeline_rules_and_timeline_read_as_sentences(dev_stack, tmp_path):
    """No repeated word ("when when="), no Python dict, an article that fits the action's type."""
    _, task_queue, env = dev_stack
    slug = f"pipe-{task_queue[-8:]}"
    organisation = pipeline_data.pipeline_org(slug)
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [organisation]}, allow_unicode=True))
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0
    created = ("create the action 'Nouvelle opportunité gagnée - Gestion de la commande' (type administrative) "
               "for adv@example.com, due today")

    rules = await relance(env, "pipeline", "rules", slug)
    assert "sales/won-admin v1 on: when result=won\n" in rules.stdout, rules.stdout
    assert "sales/r2-email v1 on: when enters_stage (stage=R2)\n" in rules.stdout
    assert f"  #1 {created}" in rules.stdout
    shown = await relance(env, "pipeline", "show", slug, pipeline_data.OPP)  # no event yet: nothing pending
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr

    won = await relance(env, "pipeline", "event", slug, pipeline_data.OPP, "--result", "won", "--id", "won-1")
    assert won.returncode == 0, won.stderr
    timeline = await relance(env, "pipeline", "timeline", slug, pipeline_data.OPP)
    assert "won-1 opportunity result=won: " in timeline.stdout, timeline.stdout
    assert created in timeline.stdout and "{" not in timeline.stdout


async def test_a_sweep_does_not_count_runs_temporal_already_has_as_missing(dev_stack, mailer, tmp_path):
    """As after an interrupted import: the run was started in Temporal but its first step, which records it
    in the database, has not run yet (here: on a task queue no worker polls). The sweep finds the invoice
    without a recorded run, Temporal has its run: it is not an invoice "without their run"."""
    client, task_queue, env = dev_stack
    slug = f"known-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    data = {"organisations": [f.org(slug=slug, invoices=[f.invoice("F-1")])]}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0
    handle = await start_dunning_run(client, f"{task_queue}-idle", slug, "F-1", "C1")
    try:
        swept = await relance(env, "sweep", "--org", slug)
        assert (f"sweep {slug}: 0 invoice(s) without their run, 0 run(s) started; 1 already had theirs in "
                "Temporal (not yet recorded in the database)") in swept.stdout, swept.stdout + swept.stderr
    finally:
        await handle.terminate("test over")
