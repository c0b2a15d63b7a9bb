"""The pipeline over the HTTP API: an event with wait answers each automation's outcome, a dry run
writes nothing, the timeline, a bad event's 422 names the field, another organisation sees nothing;
the rules as they are, one switched off; an opportunity with the actions its rules made."""

import pytest

from tests import factories as f
from tests.pipeline.data import OPP, pipeline_org


@pytest.fixture
async def pipeline_api(api):
    await api.stack.mailer.verify(f.SENDER)
    await api.stack.load(pipeline_org(api.stack.slug))
    return api


async def test_dry_run_then_the_event_then_the_timeline(pipeline_api):
    api = pipeline_api
    dry = await api.post("/v1/pipeline/dry-run", json={"event_id": "x", "opportunity": OPP, "kind": "opportunity",
                                                       "stage": "R2"})
    assert dry.status_code == 200, dry.text
    assert dry.json()["transitions"] == ["enters_stage R2", "stage_change R1 → R2"]
    [line] = dry.json()["automations"]
    assert line["rule"] == "r2-email" and "email template 'r2-docs'" in line["does"]
    assert api.stack.sent() == []
    done = await api.post("/v1/pipeline/events?wait=true", json={"event_id": "e1", "opportunity": OPP,
                                                                 "kind": "opportunity", "stage": "R2"})
    assert done.status_code == 200 and done.json()["status"] == "handled", done.text
    assert len(api.stack.sent()) == 1
    queued = await api.post("/v1/pipeline/events", json={"event_id": "e2", "opportunity": OPP, "kind": "opportunity",
                                                         "stage": "R2"})
    assert queued.status_code == 202 and queued.json()["status"] == "accepted"
    timeline = (await api.get(f"/v1/pipeline/opportunities/{OPP}/timeline")).json()
    assert [(t["kind"], t["state"]) for t in timeline][:2] == [("event", ""), ("automation", "done")]


async def test_a_bad_event_is_a_422_naming_the_field_and_another_organisation_sees_nothing(pipeline_api):
    api = pipeline_api
    bad = await api.post("/v1/pipeline/events", json={"event_id": "e1", "opportunity": OPP, "kind": "opportunity",
                                                      "stage": "R9"})
    assert bad.status_code == 422 and "stage: unknown stage 'R9'" in bad.json()["detail"]
    malformed = await api.post("/v1/pipeline/events", json={"event_id": "e1", "opportunity": OPP, "kind": "x"})
    assert malformed.status_code == 422 and any(e.startswith("kind") for e in malformed.json()["errors"])
    other_slug = f"{api.stack.slug}-other"
    await api.stack.load(pipeline_org(other_slug))  # an organisation with an opportunity of the same reference
    other = await api.key_for(other_slug)
    assert (await api.get(f"/v1/pipeline/opportunities/{OPP}/timeline", key=other)).json() == []
    stolen = await api.post("/v1/pipeline/events", key=other, json={"event_id": "e9", "opportunity": OPP,
                                                                    "kind": "opportunity", "stage": "R2"})
    assert stolen.status_code in (200, 202)  # its own OPP-1: the first organisation's is untouched
    assert (await api.get(f"/v1/pipeline/opportunities/{OPP}/timeline")).json() == []


async def test_the_rules_as_they_are_and_a_rule_switched_off_fires_no_more_for_new_events(pipeline_api):
    api = pipeline_api
    rules = (await api.get("/v1/pipeline/rules")).json()
    assert [(r["process"], r["key"], r["version"], r["enabled"]) for r in rules] == [
        ("sales", "won-admin", 1, True), ("sales", "r2-email", 1, True)]
    assert rules[0]["does"] == ["create the action 'Nouvelle opportunité gagnée - Gestion de la commande' "
                                "(type administrative) for adv@example.com, due today"]
    off = await api.put("/v1/pipeline/processes/sales/rules/r2-email/activation", json={"enabled": False})
    assert off.status_code == 200 and (off.json()["version"], off.json()["enabled"]) == (2, False)
    again = await api.put("/v1/pipeline/processes/sales/rules/r2-email/activation", json={"enabled": False})
    assert again.json()["version"] == 2  # already off: no new version
    missing = await api.put("/v1/pipeline/processes/sales/rules/nope/activation", json={"enabled": True})
    assert missing.status_code == 404 and "rule 'nope' of process 'sales' not found" in missing.json()["detail"]
    done = await api.post("/v1/pipeline/events?wait=true", json={"event_id": "e1", "opportunity": OPP,
                                                                 "kind": "opportunity", "stage": "R2"})
    assert done.json()["outcomes"] == [] and api.stack.sent() == []  # switched off: no email
    other_slug = f"{api.stack.slug}-other"
    await api.stack.load(pipeline_org(other_slug))  # the same process and rule keys
    theirs = (await api.get("/v1/pipeline/rules", key=await api.key_for(other_slug))).json()
    assert [(r["key"], r["version"], r["enabled"]) for r in theirs] == [("won-admin", 1, True), ("r2-email", 1, True)]


async def test_an_opportunity_reads_as_relance_knows_it_with_the_actions_its_rules_made(pipeline_api):
    api = pipeline_api
    won = await api.post("/v1/pipeline/events?wait=true", json={"event_id": "e1", "opportunity": OPP,
                                                                "kind": "opportunity", "result": "won"})
    assert won.status_code == 200, won.text
    opp = (await api.get(f"/v1/pipeline/opportunities/{OPP}")).json()
    assert (opp["process"], opp["stage"], opp["result"], opp["assigned_to"], opp["account"], opp["amount"]) == (
        "sales", "R1", "won", "paul@example.com", "C1", "12000.00")
    [action] = opp["actions"]
    assert (action["type"], action["assignee"], action["state"]) == ("administrative", "adv@example.com", "open")
    assert (await api.get("/v1/pipeline/opportunities/OPP-404")).status_code == 404


async def test_a_bad_field_and_unknown_records_are_named_in_one_422(pipeline_api):
    """A misspelt kind beside an unknown stage and assignee: one answer names the three."""
    api = pipeline_api
    for path in ("/v1/pipeline/events", "/v1/pipeline/dry-run"):
        bad = await api.post(path, json={"event_id": "e1", "opportunity": OPP, "kind": "opportunity",
                                         "stage": "R9", "assigned_to": "nobody@example.org", "due_on": "2026-02-30"})
        assert bad.status_code == 422
        errors = bad.json()["errors"]
        assert any(e.startswith("due_on") for e in errors), errors
        assert any(e.startswith("stage: unknown stage 'R9'") for e in errors), errors
        assert "assigned_to: 'nobody@example.org' is not a user of the organisation" in errors
    gone = await api.post("/v1/pipeline/events", json={"event_id": "e1", "opportunity": "OPP-404", "kind": "x"})
    assert gone.status_code == 422
    assert any(e.startswith("kind") for e in gone.json()["errors"])
    assert any(e.startswith("opportunity:") and "OPP-404" in e for e in gone.json()["errors"]), gone.json()
    assert api.stack.sent() == []


async def test_a_rule_with_a_bad_condition_is_one_422_naming_every_problem_and_the_dry_run_says_why(pipeline_api):
    api = pipeline_api
    won = {"key": "big", "trigger": {"when": "result", "result": "won"}, "automations": [{"do": "notify", "text": "x"}]}
    bad = pipeline_org(api.stack.slug, rules=[{**won, "condition": {"or": [{"field": "amount", "gt": "lots"},
                                                                           {"field": "colour", "is": "red"}]}}])
    answer = await api.post("/v1/imports", {"organisations": [bad]})
    assert answer.status_code == 422
    errors = "\n".join(answer.json()["errors"])
    assert "condition › or[1] › gt: 'lots' is not a number (amount)" in errors
    assert "condition › or[2] › field: unknown field 'colour'" in errors
    good = pipeline_org(api.stack.slug, rules=[{**won, "condition": {"field": "amount", "gt": 20000}}])
    await api.stack.load(good)
    [rule] = [r for r in (await api.get("/v1/pipeline/rules")).json() if r["key"] == "big"]
    assert rule["condition_text"] == "le montant est supérieur à 20000"
    dry = (await api.post("/v1/pipeline/dry-run", json={"event_id": "x", "opportunity": OPP, "kind": "opportunity",
                                                        "result": "won"})).json()
    assert dry["conditions"] == [{"rule": "big", "version": 1, "condition": "le montant est supérieur à 20000",
                                  "held": False, "why": "le montant est supérieur à 20000: faux (12000.00)"}]
    assert [a["rule"] for a in dry["automations"]] == ["won-admin"]  # the fixture's rule, with no condition
