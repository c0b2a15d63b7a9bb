"""The pipeline over the HTTP API: an event with wait answers each automation's outcome, a dry run
writes nothing, the timeline, a bad event's 422 names the field, another organisation sees nothing."""

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
