"""Marketing over the HTTP API, in-process: enrol (one contact, a tag), remove, a contact's consent and
enrolments; and the unsubscribe link of a real email, followed as a person does (the page, then its
button) and as a mail client does (RFC 8058 one-click POST), each ending the contact's run."""

import re
from datetime import timedelta

import pytest

from relance.marketing.types import ExitReason
from tests import factories as f

CONTACT = "C1-billing"


@pytest.fixture
async def marketing_api(api):
    await api.stack.mailer.verify(f.SENDER)
    await api.stack.load(f.marketing_org(api.stack.slug))
    return api


async def _enrol_and_first_email(api) -> tuple[dict, str]:
    answer = await api.post("/v1/marketing/scenarios/welcome/enrolments", json={"contact": CONTACT, "by": "claire"})
    assert answer.status_code == 201, answer.text
    stack = api.stack
    await stack.advance_until(lambda: stack.sent())
    [email] = stack.sent()
    link = email["list_unsubscribe"].strip("<>")
    return answer.json(), "/u/" + link.split("/u/", 1)[1]


async def _ended(api) -> dict:
    async def ended():
        body = (await api.get(f"/v1/contacts/{CONTACT}/marketing")).json()
        return body if body["enrolments"][0]["ended_at"] else None
    return await api.stack.advance_until(ended, step=timedelta(minutes=10))


async def test_unsubscribing_through_the_emails_link_page_records_it_and_ends_the_run(marketing_api):
    api = marketing_api
    enrolled, path = await _enrol_and_first_email(api)
    assert enrolled["outcomes"] == {"started": 1}
    page = await api.http.get(path)  # no API key: the link is signed
    assert page.status_code == 200 and 'method="post"' in page.text
    shown = (await api.get(f"/v1/contacts/{CONTACT}/marketing")).json()
    assert shown["consent"]["opted_out"] is False  # following the link alone changes nothing
    action = re.search(r'action="([^"]+)"', page.text).group(1)
    done = await api.http.post(action, data={"confirm": "yes"})
    assert done.status_code == 200 and "Unsubscribed" in done.text
    body = await _ended(api)
    assert body["consent"]["opted_out"] is True and body["consent"]["opted_out_via"] == "link"
    assert body["enrolments"][0]["exit_reason"] == ExitReason.OPTED_OUT
    assert len(api.stack.sent()) == 1
    again = await api.post("/v1/marketing/scenarios/welcome/enrolments", json={"contact": CONTACT})
    assert again.status_code == 200 and again.json()["outcomes"] == {"refused_opted_out": 1}


async def test_the_unsubscribe_page_cannot_be_framed_by_another_site(marketing_api):
    """Framed, its one button could be clicked through a decoy (clickjacking): browsers are told never to."""
    _, path = await _enrol_and_first_email(marketing_api)
    for page in (await marketing_api.http.get(path), await marketing_api.http.get("/u/not-a-token")):
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"


async def test_one_click_post_from_a_mail_client_unsubscribes(marketing_api):
    api = marketing_api
    _, path = await _enrol_and_first_email(api)
    done = await api.http.post(path, content="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    body = await _ended(api)
    assert body["consent"]["opted_out_via"] == "one_click"
    assert body["enrolments"][0]["exit_reason"] == ExitReason.OPTED_OUT


async def test_a_forged_or_altered_link_is_refused_and_changes_nothing(marketing_api):
    api = marketing_api
    _, path = await _enrol_and_first_email(api)
    payload, signature = path.removeprefix("/u/").split(".")
    for forged in (f"/u/{payload}.{signature[::-1]}", "/u/not-a-token", f"/u/{payload}"):
        assert (await api.http.post(forged, content="List-Unsubscribe=One-Click")).status_code == 400
        assert (await api.http.get(forged)).status_code == 400
    shown = (await api.get(f"/v1/contacts/{CONTACT}/marketing")).json()
    assert shown["consent"]["opted_out"] is False


async def test_removal_and_enrolment_problems_name_the_field(marketing_api):
    api = marketing_api
    await _enrol_and_first_email(api)
    refused = await api.post(f"/v1/marketing/scenarios/welcome/enrolments/{CONTACT}/removal", json={"by": "claire"})
    assert refused.status_code == 422 and any("reason" in e for e in refused.json()["errors"])
    both = await api.post("/v1/marketing/scenarios/welcome/enrolments", json={"contact": CONTACT, "tag": "x"})
    assert both.status_code == 422 and "exactly one of contact, tag, account" in both.text
    unknown = await api.post("/v1/marketing/scenarios/nope/enrolments", json={"contact": CONTACT})
    assert unknown.status_code == 404 and "marketing scenario 'nope'" in unknown.json()["detail"]
    removed = await api.post(f"/v1/marketing/scenarios/welcome/enrolments/{CONTACT}/removal",
                             json={"by": "claire", "reason": "asked by phone"})
    assert removed.status_code == 200
    body = await _ended(api)
    assert (body["enrolments"][0]["exit_reason"], body["enrolments"][0]["exit_detail"]) == (
        "removed", "by claire: asked by phone")
    gone = await api.post(f"/v1/marketing/scenarios/welcome/enrolments/{CONTACT}/removal",
                          json={"by": "claire", "reason": "again"})
    assert gone.status_code == 404


async def test_batch_enrolment_by_tag_and_another_tenant_sees_nothing(marketing_api):
    api = marketing_api
    answer = await api.post("/v1/marketing/scenarios/welcome/enrolments", json={"tag": "newsletter"})
    assert answer.status_code == 201 and answer.json()["total"] == 1
    other = await api.key_for(await _other_org(api))
    assert (await api.get(f"/v1/contacts/{CONTACT}/marketing", key=other)).status_code == 404
    assert (await api.post("/v1/marketing/scenarios/welcome/enrolments", json={"contact": CONTACT},
                           key=other)).status_code == 404


async def _other_org(api) -> str:
    slug = api.stack.slug + "-other"
    await api.stack.load(f.org(slug=slug, accounts=[], marketing_scenarios=[]))  # no such contact or scenario
    return slug


async def test_a_campaign_drafted_launched_and_its_recipients_over_http(marketing_api):
    api = marketing_api
    bad = await api.put("/v1/marketing/campaigns/promo", json={"name": "Promo", "template": "first", "tag": "x"})
    assert bad.status_code == 422 and "unknown merge field" in bad.json()["detail"]
    draft = await api.put("/v1/marketing/campaigns/promo", json={"name": "Promo", "template": "tips",
                                                                  "tag": "newsletter"})
    assert draft.status_code == 200 and draft.json()["state"] == "draft"
    launched = await api.post("/v1/marketing/campaigns/promo/launch", json={})
    assert launched.status_code == 200 and launched.json()["state"] == "sending"
    again = await api.post("/v1/marketing/campaigns/promo/launch", json={})
    assert again.status_code == 422 and "launched already" in again.json()["detail"]

    async def finished():
        body = (await api.get("/v1/marketing/campaigns/promo")).json()
        return body if body["state"] == "finished" else None

    body = await api.stack.advance_until(finished, step=timedelta(seconds=1))
    assert body["counts"] == {"sent": 1}
    [recipient] = (await api.get("/v1/marketing/campaigns/promo/recipients")).json()
    assert (recipient["contact"], recipient["state"]) == (CONTACT, "sent") and recipient["provider_message_id"]
    retry = await api.post(f"/v1/marketing/campaigns/promo/recipients/{CONTACT}/retry")
    assert retry.status_code == 422 and "only a failed recipient is retried" in retry.json()["detail"]


async def test_preview_over_http_names_each_step_and_sends_nothing(marketing_api):
    api = marketing_api
    answer = await api.get("/v1/marketing/scenarios/welcome/preview", params={"contact": CONTACT})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["scenario"], body["version"], body["refused"]) == ("welcome", 1, None)
    assert [(s["label"], s["subject"]) for s in body["steps"]] == [("Bienvenue", "Bienvenue Jean"),
                                                                   ("Conseils", "Trois conseils pour Dupont SA")]
    assert api.stack.sent() == []
    missing = await api.get("/v1/marketing/scenarios/welcome/preview", params={"contact": "nobody"})
    assert missing.status_code == 404 and "contact 'nobody'" in missing.json()["detail"]


async def test_switching_a_scenario_off_over_http_ends_its_runs_at_once(marketing_api):
    api = marketing_api
    await _enrol_and_first_email(api)
    switched = await api.put("/v1/marketing/scenarios/welcome/activation", json={"enabled": False})
    assert switched.status_code == 200 and switched.json() == {"scenario": "welcome", "enabled": False, "woken": 1}
    body = await _ended(api)
    assert body["enrolments"][0]["exit_reason"] == ExitReason.SCENARIO_OFF
    assert (await api.put("/v1/marketing/scenarios/nope/activation", json={"enabled": False})).status_code == 404


async def test_a_bad_field_and_unknown_records_are_named_in_one_422(marketing_api):
    """A campaign with a misspelt field, an unknown template, sender and account; an enrolment with a
    bad `by` and an unknown contact: each answer names every problem, and nothing is written."""
    api = marketing_api
    campaign = await api.put("/v1/marketing/campaigns/promo", json={
        "name": "Promo", "template": "nope", "sender": "nobody@example.org", "account": "A-404", "nmae": "x"})
    assert campaign.status_code == 422
    errors = campaign.json()["errors"]
    assert any(e.startswith("nmae") for e in errors), errors
    assert "campaign 'promo': field template: unknown template 'nope'" in errors
    assert "campaign 'promo': field sender: 'nobody@example.org' is not a user of the organisation" in errors
    assert any(e.startswith("campaign 'promo': field account:") and "A-404" in e for e in errors), errors
    valid_fields = await api.put("/v1/marketing/campaigns/promo", json={
        "name": "Promo", "template": "nope", "sender": "nobody@example.org", "tag": "x"})
    assert valid_fields.status_code == 422 and len(valid_fields.json()["errors"]) == 2, valid_fields.json()
    assert (await api.get("/v1/marketing/campaigns/promo")).status_code == 404
    enrolment = await api.post("/v1/marketing/scenarios/welcome/enrolments", json={"contact": "C-404", "by": ""})
    assert enrolment.status_code == 422
    errors = enrolment.json()["errors"]
    assert any(e.startswith("by") for e in errors), errors
    assert any(e.startswith("contact:") and "C-404" in e for e in errors), errors
