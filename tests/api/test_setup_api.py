"""The host's setup screens over HTTP (seeds 000, 001, 002): the scenario wizard and its edits, templates,
the dunning and renewal settings, the forecast before switching on, the simulation."""

from __future__ import annotations

from datetime import timedelta

from tests import factories as f


async def test_a_scenario_is_made_with_the_wizard_read_changed_reset_and_made_default(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    made = await api.post("/v1/scenarios/wizard", {"first_days": 5, "second_days": 15, "sender": f.SENDER})
    assert made.status_code == 201, made.text
    assert made.json() == {"key": "default", "version": 2, "default": True}  # the org had a version 1

    read = (await api.get("/v1/scenarios/default")).json()
    assert [s["kind"] for s in read["steps"]] == ["email", "pause", "email", "pause", "action"]
    assert read["steps"][0]["offset_days"] == 5 and read["steps"][1]["days"] == 15
    assert [(v["version"], v["default"]) for v in read["versions"]] == [(1, False), (2, True)]

    steps = read["steps"]
    steps[1]["days"] = 25
    changed = await api.put("/v1/scenarios/default", {"name": read["name"], "steps": steps})
    assert (changed.status_code, changed.json()) == (200, {"key": "default", "version": 3, "default": True})
    same = await api.put("/v1/scenarios/default", {"name": read["name"], "steps": steps})
    assert same.json()["version"] == 3, "unchanged steps keep the version"

    other = await api.put("/v1/scenarios/short", {"name": "Court", "steps": f.ONE_REMINDER})
    assert (other.status_code, other.json()) == (201, {"key": "short", "version": 1, "default": False})
    made_default = await api.post("/v1/scenarios/short/default")
    assert made_default.json() == {"key": "short", "version": 1, "default": True}
    listed = {s["key"]: s for s in (await api.get("/v1/scenarios")).json()}
    assert (listed["short"]["default"], listed["default"]["default"], listed["default"]["newest_version"]) == (
        True, False, 3)

    reset = await api.post("/v1/scenarios/reset")
    assert reset.status_code == 200, reset.text
    assert reset.json()["default"] is True and reset.json()["key"] == "default"
    back = (await api.get("/v1/scenarios/default")).json()
    assert (back["steps"][0]["offset_days"], back["steps"][1]["days"]) == (10, 20)


async def test_a_bad_scenario_is_refused_naming_the_step_from_1_and_nothing_is_written(api):
    six = [{"kind": "email", "label": f"R{i}", "offset_days": i, "template": "first"} for i in range(6)]
    too_many = await api.put("/v1/scenarios/big", {"name": "Big", "steps": six})
    assert too_many.status_code == 422
    assert "needs 1 to 5 email steps, has 6" in " ".join(too_many.json()["errors"])
    bad_pause = await api.put("/v1/scenarios/big", {"name": "Big", "steps": [
        {"kind": "email", "label": "R", "offset_days": 1, "template": "first"},
        {"kind": "pause", "label": "P"}]})
    assert bad_pause.json()["errors"] == ["scenario 'big' › step 2 'P' › days: a pause needs its number of days"]
    unknown = await api.put("/v1/scenarios/big", {"name": "Big", "steps": f.ONE_REMINDER, "colour": "red"})
    assert unknown.status_code == 422 and "colour" in " ".join(unknown.json()["errors"])
    nul = await api.put("/v1/scenarios/big", {"name": "Big", "steps": [{**f.ONE_REMINDER[0], "label": "R\x00"}]})
    assert nul.status_code == 422 and "contains a NUL character" in " ".join(nul.json()["errors"])
    assert (await api.put("/v1/templates/t", {"name": "T\x00", "subject": "s", "body": "b"})).status_code == 422
    assert (await api.post("/v1/scenarios/wizard", {"first_days": 1, "second_days": 1,
                                                    "sender": "a\x00@b.c"})).status_code == 422
    assert (await api.get("/v1/scenarios/big")).status_code == 404


async def test_the_wizard_refuses_a_sender_ses_has_not_verified(api):
    refused = await api.post("/v1/scenarios/wizard", {"first_days": 5, "second_days": 15, "sender": f.SENDER})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [f"wizard › sender: {f.SENDER} is not a verified address (SES identity); "
                                        "verify it, then save again"]
    assert [v["version"] for v in (await api.get("/v1/scenarios/default")).json()["versions"]] == [1]


async def test_templates_are_listed_read_saved_checked_and_previewed_for_a_record(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice()], contracts=[f.contract()]))
    assert {t["key"] for t in (await api.get("/v1/templates")).json()} >= {"first", "second", "renewal"}
    created = await api.put("/v1/templates/polite", {
        "name": "Poli", "subject": "Facture [[!Number]]", "body": "Reste dû : [[!AmountDue]].", "use": "dunning"})
    assert (created.status_code, created.json()) == (201, {"key": "polite", "created": True})
    wrong_use = await api.put("/v1/templates/polite", {
        "name": "Poli", "subject": "Contrat [[!ContractRef]]", "body": "x", "use": "dunning"})
    assert wrong_use.status_code == 422 and "ContractRef" in " ".join(wrong_use.json()["errors"])
    assert (await api.get("/v1/templates/polite")).json()["subject"] == "Facture [[!Number]]", "nothing written"

    preview = await api.get("/v1/templates/polite/preview", params={"invoice": "F-1"})
    assert preview.status_code == 200, preview.text
    assert preview.json()["subject"] == "Facture F-1"
    assert "200,00" in preview.json()["body"] and preview.json()["recipient"] == "billing@dupont.example.org"
    notice = (await api.get("/v1/templates/renewal/preview", params={"contract": "CT-1"})).json()
    assert notice["subject"].startswith("Contrat CT-1 : renouvellement le ")
    both = await api.get("/v1/templates/polite/preview", params={"invoice": "F-1", "contract": "CT-1"})
    assert both.status_code == 422
    assert (await api.get("/v1/templates/polite/preview", params={"invoice": "NOPE"})).status_code == 404


async def test_dunning_settings_change_only_the_fields_given_and_check_the_sender_in_ses(api):
    before = (await api.get("/v1/settings/dunning")).json()
    assert before["sender"] == f.SENDER and before["send_days"] == "mon-sun"
    changed = await api.put("/v1/settings/dunning", {"send_window": ["08:00", "17:00"], "holiday_country": "FR"})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["send_window"], after["holiday_country"]) == (["08:00:00", "17:00:00"], "FR")
    assert {k: v for k, v in after.items() if k not in ("send_window", "holiday_country", "resumed")} == {
        k: v for k, v in before.items() if k not in ("send_window", "holiday_country", "resumed")}

    unverified = await api.put("/v1/settings/dunning", {"sender": f.SENDER, "send_days": "mon-fri"})
    assert unverified.status_code == 422
    assert "is not a verified address" in unverified.json()["detail"]
    assert (await api.get("/v1/settings/dunning")).json()["send_days"] == "mon-sun", "nothing half-written"
    assert (await api.put("/v1/settings/dunning", {"send_window": ["18:00", "08:00"]})).status_code == 422
    assert (await api.put("/v1/settings/dunning", {"holiday_country": "ZZ"})).status_code == 422


async def test_renewal_settings_need_a_template_of_renewal_fields_and_a_verified_sender(api):
    stack = api.stack
    assert (await api.get("/v1/settings/renewal")).json() == {
        "enabled": False, "alert_days": 30, "template": None, "sender": None}
    half = await api.put("/v1/settings/renewal", {"enabled": True, "alert_days": 10})
    assert half.status_code == 422 and "need a template" in half.json()["detail"]
    wrong = await api.put("/v1/settings/renewal", {"template": "first"})  # an invoice's fields
    assert wrong.status_code == 422 and "Number" in wrong.json()["detail"]
    await stack.mailer.verify(f.SENDER)
    on = await api.put("/v1/settings/renewal", {"enabled": True, "alert_days": 10, "template": "renewal",
                                                "sender": f.SENDER})
    assert on.json() == {"enabled": True, "alert_days": 10, "template": "renewal", "sender": f.SENDER}
    assert (await api.put("/v1/settings/renewal", {"alert_days": 15})).json()["template"] == "renewal"


async def test_the_forecast_says_what_would_go_if_dunning_were_switched_on_now_while_it_is_off(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today-20")], dunning={"enabled": False}))
    assert (await api.get("/v1/forecast", params={"days": 30})).json() == [], "off: nothing goes"
    would = (await api.get("/v1/forecast", params={"days": 30, "if_on": True})).json()
    assert [(line["invoice"], line["source"]) for line in would][:1] == [("F-1", "tonight")]
    assert (await api.get("/v1/settings/dunning")).json()["enabled"] is False, "a forecast switches nothing on"

    on = await api.put("/v1/settings/dunning", {"enabled": True})
    assert on.status_code == 200, on.text
    assert (on.json()["enabled"], on.json()["resumed"]) == (True, 0)


async def test_a_scenario_is_simulated_step_by_step_over_http(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    started = await api.post("/v1/simulations", {"user": f.SENDER})
    assert started.status_code == 201, started.text
    assert started.json()["done"] == []  # its plan may still be loading: next_step is null until then
    first = await api.post(f"/v1/simulations/{f.SENDER}/next")
    assert first.status_code == 200, first.text
    assert (first.json()["step"], first.json()["name"], first.json()["outcome"]) == (1, "1. Rappel", "sent")
    assert [m["destinations"]["to"] for m in stack.sent()] == [[f.SENDER]]
    state = (await api.get(f"/v1/simulations/{f.SENDER}")).json()
    assert (state["next_step"], [s["step"] for s in state["done"]]) == (2, [1])
    stopped = await api.post(f"/v1/simulations/{f.SENDER}/stop")
    assert stopped.json()["stopped"] is True
    after = await api.post(f"/v1/simulations/{f.SENDER}/next")
    assert after.status_code == 409
    assert (await api.get("/v1/simulations/nobody@example.com")).status_code == 404


async def test_the_scenario_is_applied_to_one_invoice_and_its_next_step_sent_now_with_who_asked(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today+30")]))
    applied = await api.post("/v1/invoices/F-1/apply-scenario")
    assert applied.status_code == 201, applied.text
    assert applied.json()["asked_by"] == "API key test"
    assert (await api.post("/v1/invoices/F-1/apply-scenario")).status_code == 409
    await stack.advance_until(lambda: _waiting(api), step=timedelta(seconds=1))

    sent = await api.post("/v1/invoices/F-1/send-now")
    assert sent.status_code == 200, sent.text
    assert (sent.json()["state"], sent.json()["step_name"]) == ("waiting", "2. Première relance")
    assert sent.json()["next_at"].endswith(("+01:00", "+02:00"))
    [message] = stack.sent()
    assert message["subject"] == "Rappel facture F-1", "the reminder due in 27 days went now"
    timeline = (await api.get("/v1/invoices/F-1/run")).json()["timeline"]
    assert [(e["kind"], e["outcome"], e["reason"]) for e in timeline][:3] == [
        ("request", "applied", "asked by API key test"), ("request", "send_now", "asked by API key test"),
        ("email", "sent", None)]


async def test_send_now_without_a_running_run_or_a_waiting_step_says_why(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice(due="today+30", status="paid")]))
    assert (await api.post("/v1/invoices/F-1/send-now")).status_code == 404
    refused = await api.post("/v1/invoices/F-1/apply-scenario")
    assert refused.status_code == 422 and "no scenario to apply" in refused.json()["detail"]


async def _state(api, state: str) -> bool:
    run = await api.get("/v1/invoices/F-1/run")
    return run.status_code == 200 and (run.json()["live"] or {}).get("state") == state


async def _waiting(api) -> bool:
    return await _state(api, "waiting")


async def test_a_held_run_shows_in_the_forecast_as_resuming_when_dunning_is_switched_on(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today-20")], dunning={"enabled": False}))
    await stack.start()
    await stack.advance_until(lambda: _state(api, "held"), step=timedelta(minutes=10))
    assert (await api.get("/v1/forecast", params={"days": 3})).json() == [], "held: nothing goes while off"
    would = (await api.get("/v1/forecast", params={"days": 3, "if_on": True})).json()
    assert [(line["invoice"], line["step"], line["source"]) for line in would][:1] == [
        ("F-1", "2. Première relance", "held")]

    on = await api.put("/v1/settings/dunning", {"enabled": True})
    assert on.json()["resumed"] == 1
    await stack.advance_until(lambda: stack.sent(), step=timedelta(minutes=10))
    assert [m["subject"] for m in stack.sent()] == ["Facture F-1 impayée"]
