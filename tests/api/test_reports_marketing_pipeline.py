"""The marketing and pipeline reports over HTTP, on records made by real runs: a campaign and a
marketing scenario's first email, then the contact unsubscribing with one click; a pipeline rule whose
email automation fails because its sender is not verified in SES."""

from __future__ import annotations

from datetime import timedelta

from tests.api.test_marketing_api import CONTACT, _ended, _enrol_and_first_email, marketing_api  # noqa: F401
from tests.pipeline.data import OPP, pipeline_org


async def test_the_marketing_report_counts_each_campaign_and_step_sent_and_who_unsubscribed(
        marketing_api):  # noqa: F811
    api = marketing_api
    _, path = await _enrol_and_first_email(api)
    await api.put("/v1/marketing/campaigns/promo", json={"name": "Promo", "template": "tips", "tag": "newsletter"})
    await api.post("/v1/marketing/campaigns/promo/launch", json={})

    async def finished():
        return (await api.get("/v1/marketing/campaigns/promo")).json()["state"] == "finished"

    await api.stack.advance_until(finished, step=timedelta(seconds=1))
    await api.http.post(path, content="List-Unsubscribe=One-Click",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    await _ended(api)
    # The runs' time is the test server's, skipped ahead of the wall clock's today.
    period = f"from={await api.stack.today() - timedelta(days=30)}&to={await api.stack.today() + timedelta(days=30)}"
    report = (await api.get(f"/v1/reports/marketing?{period}")).json()
    rows = {(row["source"], row["name"], row["step"]): row for row in report["rows"]}
    assert set(rows) == {("campaign", "promo", None), ("scenario", "welcome", 1)}
    welcome, promo = rows[("scenario", "welcome", 1)], rows[("campaign", "promo", None)]
    assert (welcome["sent"], welcome["not_sent"], welcome["bounced"], welcome["unsubscribed"]) == (1, 0, 0, 1)
    assert (promo["sent"], promo["not_sent"], promo["bounced"]) == (1, 0, 0)
    only = (await api.get(f"/v1/reports/marketing?{period}&scenario=welcome")).json()
    assert [(row["source"], row["name"]) for row in only["rows"]] == [("scenario", "welcome")]
    csv = (await api.get(f"/v1/reports/marketing?{period}&format=csv")).text
    assert "marketing,campaign,promo,,1,0" in csv


async def test_the_pipeline_report_says_how_often_a_rule_fired_and_why_its_automation_failed(api):
    await api.stack.load(pipeline_org(api.stack.slug))  # its sender left unverified: the email cannot go
    for n in (1, 2):
        await api.post("/v1/pipeline/events?wait=true", json={
            "event_id": f"e{n}", "opportunity": OPP, "kind": "opportunity", "stage": "R2" if n == 1 else "R3"})
    period = f"from={await api.stack.today() - timedelta(days=30)}&to={await api.stack.today() + timedelta(days=30)}"
    report = (await api.get(f"/v1/reports/pipeline?{period}")).json()
    rules = {rule["rule"]: rule for rule in report["rules"]}
    assert "r2-email" in rules, report
    rule = rules["r2-email"]
    assert rule["fired"] == 1
    [automation] = rule["automations"]
    assert (automation["kind"], automation["ran"], automation["failed"]) == ("send_email", 1, 1)
    assert automation["failures"] == {"sender_not_verified": 1}
