"""Scenario authoring: wizard, reset, versions, preview, forecast."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from relance.dunning.preview import preview_invoice
from relance.dunning.types import ExitReason
from relance.nightly import SweepRequest
from relance.scenario.authoring import (
    ScenarioRejected,
    apply_scenario,
    export_scenario,
    init_scenario,
    reset_scenario,
    validate_scenario,
    versions,
)
from relance.scenario.plan import RunState, step_number
from starter.dunning import forecast
from tests import factories as f
from workflows.dunning import DunningSweepWorkflow, InvoiceDunningWorkflow

PARIS = ZoneInfo("Europe/Paris")


async def test_wizard_builds_two_reminders_and_a_call_from_three_answers(stack):
    await stack.load(stack.org())
    await stack.mailer.verify(f.SENDER)
    await init_scenario(stack.db, stack.mailer, stack.slug, 15, 25, f.SENDER)
    exported = await export_scenario(stack.db, stack.slug)
    kinds = [(s["kind"], s.get("offset_days"), s.get("days"), s.get("template")) for s in exported["steps"]]
    assert kinds == [("email", 15, None, "fr/first_reminder"), ("pause", None, 25, None),
                     ("email", None, None, "fr/second_reminder"), ("pause", None, 60, None),
                     ("action", None, None, None)]
    assert exported["steps"][0]["sender"] == f.SENDER
    assert exported["steps"][4]["task"]["title"].startswith("Appeler le client")


async def test_wizard_refuses_a_sender_whose_address_is_not_verified(stack):
    await stack.load(stack.org())
    with pytest.raises(ScenarioRejected, match="not a verified address"):
        await init_scenario(stack.db, stack.mailer, stack.slug, 10, 20, f.SENDER)
    with pytest.raises(ScenarioRejected, match="not a user"):
        await init_scenario(stack.db, stack.mailer, stack.slug, 10, 20, "stranger@example.com")


async def test_reset_restores_the_default_as_a_new_version(stack):
    await stack.load(stack.org(f.ONE_REMINDER))
    await reset_scenario(stack.db, stack.slug)
    exported = await export_scenario(stack.db, stack.slug)
    assert exported["version"] == 2
    assert [s["label"] for s in exported["steps"]] == [
        "Première relance", "Pause de 20 jours", "Deuxième relance", "Pause de 60 jours", "Relance téléphonique"]


async def test_applying_a_bad_file_names_scenario_step_and_field_and_changes_nothing(stack):
    await stack.load(stack.org())
    bad = {"key": "default", "name": "X", "steps": [
        {"kind": "email", "label": "Un", "template": "nope"},
        {"kind": "pause", "label": "Arrière", "days": -3}]}
    problems = await validate_scenario(stack.db, stack.slug, bad)
    assert any("scenario 'default' › step 2 'Arrière' › days" in p for p in problems), problems
    with pytest.raises(ScenarioRejected):
        await apply_scenario(stack.db, stack.slug, bad)
    bad["steps"][1]["days"] = 3
    problems = await validate_scenario(stack.db, stack.slug, bad)
    assert problems == ["scenario 'default' › step 1 'Un' › template: unknown template 'nope'"]
    assert (await export_scenario(stack.db, stack.slug))["version"] == 1


async def test_running_run_keeps_its_version_new_runs_take_the_newest(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice("F-1"), f.invoice("F-2")]))
    first = await stack.start("F-1")
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    changed = await export_scenario(stack.db, stack.slug)
    changed["steps"][3]["label"] = "Relance ferme"
    applied = await apply_scenario(stack.db, stack.slug, changed)
    assert applied.version == 2
    second = await stack.start("F-2")
    await stack.advance_until(lambda: len(stack.sent()) == 2)
    assert (await first.query(InvoiceDunningWorkflow.progress)).plan.steps[3].label == "Deuxième relance"
    assert (await second.query(InvoiceDunningWorkflow.progress)).plan.steps[3].label == "Relance ferme"
    table = await versions(stack.db, stack.slug)
    assert [(v["version"], v["default"], v["running"]) for v in table] == [(1, False, 1), (2, True, 1)]


async def test_preview_before_and_after_the_due_date(stack):
    await stack.mailer.verify(f.SENDER)
    today = await stack.today()
    await stack.load(stack.org(dunning={"send_window": ["09:00", "18:00"]}, invoices=[
        f.invoice("F-1", today + timedelta(days=10)), f.invoice("F-2", today - timedelta(days=5))]))
    now = await stack.now()
    ahead = await preview_invoice(stack.db, stack.mailer, stack.slug, "F-1", now)
    assert [(s.label, s.at.date(), s.at.time()) for s in ahead][:3] == [
        ("Rappel", today + timedelta(days=7), time(9)), ("Première relance", today + timedelta(days=20), time(9)),
        ("Deuxième relance", today + timedelta(days=40), time(9))]
    assert ahead[0].recipient == "billing@dupont.example.org" and ahead[0].sender == f.SENDER
    assert ahead[0].subject == "Rappel facture F-1" and "échéance le" in ahead[0].body
    late = await preview_invoice(stack.db, stack.mailer, stack.slug, "F-2", now)
    assert [s.label for s in late] == ["Première relance", "Deuxième relance", "Appel"]  # no Rappel after due
    assert late[0].at.date() == today + timedelta(days=5)


async def test_forecast_agrees_with_what_the_workflows_then_do(stack):
    """A running run and an invoice that tonight's sweep enters: the forecast's times are the times
    the emails then really go, with time skipped."""
    await stack.mailer.verify(f.SENDER)
    today = await stack.today()
    await stack.load(stack.org(dunning={"send_window": ["09:00", "18:00"]}, invoices=[
        f.invoice("F-1", today + timedelta(days=5)), f.invoice("F-2", today - timedelta(days=1))]))
    running = await stack.start("F-1")
    await stack.advance_until(lambda: _waiting(running), step=timedelta(seconds=1))
    lines = await forecast(stack.client, stack.db, stack.slug, await stack.now(), days=120)
    expected = {(line.invoice, line.step): line.at for line in lines if line.kind == "email"}
    assert {(line.invoice, line.source) for line in lines} == {("F-1", "running"), ("F-2", "tonight")}

    now = (await stack.now()).astimezone(PARIS)
    tonight = datetime.combine(now.date() + timedelta(days=1), time(2), tzinfo=PARIS)
    await stack.env.sleep(tonight - now)
    await stack.client.execute_workflow(DunningSweepWorkflow.run, SweepRequest(stack.slug), id="nightly",
                                        task_queue=stack.task_queue)
    entered = stack.client.get_workflow_handle_for(InvoiceDunningWorkflow.run, f"dunning:{stack.slug}:F-2")
    for handle in (running, entered):
        assert (await handle.result()).reason == ExitReason.COMPLETED
    actual = {}
    for number in ("F-1", "F-2"):
        for event in await stack.emails(number):
            label = next(line.step for line in lines if line.invoice == number
                         and line.step.startswith(f"{step_number(event.step_position)}."))
            actual[(number, label)] = event.occurred_at.astimezone(PARIS).replace(second=0, microsecond=0)
    assert actual == {key: at.replace(second=0, microsecond=0) for key, at in expected.items()}


async def _waiting(handle):
    return (await handle.query(InvoiceDunningWorkflow.status)).state == RunState.WAITING


async def test_saving_a_template_lists_everything_wrong_and_saves_nothing(stack):
    from relance.importing.importer import ImportRejected
    from starter.importing import save_template

    await stack.load(stack.org())
    with pytest.raises(ImportRejected) as caught:
        await save_template(stack.db, stack.slug, {"key": "x", "name": "X", "subject": "[[!Numero]] {{",
                                                   "body": "[[!Montant]]"})
    text = str(caught.value)
    assert "[[!Numero]]" in text and "[[!Montant]]" in text and "subject: unexpected" in text
    saved = await save_template(stack.db, stack.slug, {"key": "x", "name": "X", "subject": "[[!Number]]",
                                                       "body": "Reste [[!AmountDue]]"})
    assert saved.key == "x"


def test_every_predefined_template_is_valid_in_french_and_english():
    from relance.scenario import predefined
    from starter.importing import template_check

    keys = set(predefined.templates())
    assert {f"{lang}/{kind}" for lang in ("fr", "en")
            for kind in ("rappel", "first_reminder", "second_reminder", "formal_notice")} <= keys
    assert [p for t in predefined.templates().values() for p in template_check(t)] == []
