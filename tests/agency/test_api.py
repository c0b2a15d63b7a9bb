"""The agency over the HTTP API: a booking refused whole with its field named, another organisation's
agency not found, drafting now, a tab, edit-and-send, a stale version refused (409)."""

import asyncio

from tests.agency import data

AGENCY = "/v1/agencies/mer"


async def test_a_booking_that_cannot_be_is_refused_with_its_field_and_nothing_is_written(api):
    await api.stack.load(data.organisation(api.stack.slug, [], {"arrival": 7}))
    cases = {"departure": dict(arrival="2030-05-10", departure="2030-05-09"),
             "option_expires_on": dict(status="option"),
             "balance_due_on": dict(balance_amount="10.00", balance_due_on="2030-05-20"),
             "property": dict(property="NOPE")}
    for field, change in cases.items():
        body = {**data.booking("R1", "2030-05-10", "2030-05-17"), **change}
        answer = await api.put(f"{AGENCY}/bookings/R1", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0].startswith(f"{field}:"), answer.json()
    assert (await api.get(f"{AGENCY}/bookings/R1")).status_code == 404
    unknown = await api.put("/v1/agencies/nope/bookings/R1", json=data.booking("R1", "2030-05-10", "2030-05-17"))
    assert unknown.status_code == 404 and "agency 'nope'" in unknown.json()["detail"]


async def test_drafting_a_tab_edit_and_send_and_a_stale_version_refused(api):
    stack = api.stack
    await stack.mailer.verify(data.SENDER)
    await stack.load(data.organisation(stack.slug, [], {"arrival": 7}))
    put = await api.put(f"{AGENCY}/bookings/R1", json=data.booking("R1", "today+7", "today+14"))
    assert put.status_code == 200 and put.json()["outcome"] == "created"
    drafted = await api.post(f"{AGENCY}/drafting")
    assert drafted.status_code == 200 and drafted.json()["drafted"] == 1
    assert (await api.get(f"{AGENCY}/summary")).json()["waiting"] == {
        "balance": 0, "arrival": 1, "option": 0, "after_departure": 0}
    [draft] = (await api.get(f"{AGENCY}/tabs/arrival")).json()
    sent = await api.post(f"{AGENCY}/drafts/{draft['id']}/send",
                          json={"version": draft["version"], "body": "Bonjour <b>", "by": "anne"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["goes_at"] is None  # the send window is open: it goes now
    for _ in range(100):
        progress = (await api.get(f"{AGENCY}/sends/{sent.json()['batch_id']}")).json()
        if progress["finished"]:
            break
        await asyncio.sleep(0.05)
    assert progress["counts"] == {"sent": 1}
    again = await api.post(f"{AGENCY}/drafts/{draft['id']}/send", json={"version": draft["version"]})
    assert again.status_code == 409 and "it is sent by anne" in again.json()["detail"]
    history = (await api.get(f"{AGENCY}/bookings/R1")).json()
    assert [d["status"] for d in history["drafts"]] == ["sent"]


async def test_another_organisations_agency_is_not_found(api):
    await api.stack.load(data.organisation(api.stack.slug, [data.booking("R1", "2030-05-10", "2030-05-17")]))
    await api.stack.load(data.organisation("elsewhere", [], agency="loin"))
    key = await api.key_for("elsewhere")
    assert (await api.get(f"{AGENCY}/bookings/R1", key=key)).status_code == 404
    assert (await api.get("/v1/agencies/loin/summary", key=key)).status_code == 200
    assert (await api.get("/v1/agencies/loin/summary")).status_code == 404
