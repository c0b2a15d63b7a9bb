"""A run's life over HTTP (issue 22): pause until a date and resume, an account excluded and readmitted, a
minimum amount in the dunning settings; each refusal names its field and writes nothing."""

from __future__ import annotations

from datetime import timedelta

from tests import factories as f


async def _waiting(api) -> bool:
    run = await api.get("/v1/invoices/F-1/run")
    return run.status_code == 200 and (run.json()["live"] or {}).get("state") == "waiting"


async def test_a_run_is_paused_shown_paused_and_resumed_over_http(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today-20")]))
    await stack.start()
    await stack.advance_until(lambda: _waiting(api), step=timedelta(minutes=10))
    today = await stack.today()

    for body, field in (({"until": str(today - timedelta(days=2)), "reason": "dispute"}, "field until"),
                        ({"until": str(today + timedelta(days=366)), "reason": "dispute"}, "field until"),
                        ({"until": "2026-13-01", "reason": "dispute"}, "until"),
                        ({"until": str(today + timedelta(days=9)), "reason": "holidays"}, "reason")):
        refused = await api.post("/v1/invoices/F-1/pause", body)
        assert refused.status_code == 422 and field in refused.text, (body, refused.text)
    assert (await api.post("/v1/invoices/F-404/pause", {"until": str(today + timedelta(days=9)),
                                                         "reason": "dispute"})).status_code == 404

    until = today + timedelta(days=9)
    paused = await api.post("/v1/invoices/F-1/pause", {"until": str(until), "reason": "promise_to_pay",
                                                      "note": "chèque posté"})
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused_until"].startswith(f"{until}T00:00:00+0")  # the organisation's zone
    run = (await api.get("/v1/invoices/F-1/run")).json()
    assert run["state"] == "paused" and run["live"]["state"] == "paused"
    assert run["live"]["next_at"] >= paused.json()["paused_until"]
    assert run["timeline"][-1]["reason"] == f"promise_to_pay until {until}, by API key test: chèque posté"

    resumed = await api.post("/v1/invoices/F-1/resume", {"note": "accord trouvé"})
    assert resumed.status_code == 200 and resumed.json()["state"] == "waiting", resumed.text
    assert (await api.post("/v1/invoices/F-1/resume")).status_code == 422  # not paused any more

    await api.post("/v1/invoices/F-1/cancel-reminders", {"reason": "fin", "by": "claire"})
    await stack.advance_until(lambda: _ended(api), step=timedelta(seconds=1))
    late = await api.post("/v1/invoices/F-1/pause", {"until": str(until), "reason": "dispute"})
    assert late.status_code == 409 and "has ended" in late.json()["detail"]


async def _ended(api) -> bool:
    return (await api.get("/v1/invoices/F-1/run")).json()["ended_at"] is not None


async def test_an_account_is_excluded_and_readmitted_and_a_minimum_amount_set_over_http(api):
    stack = api.stack
    await stack.load(stack.org())
    excluded = await api.put("/v1/accounts/C1/dunning-exclusion", {"reason": "compte clé"})
    assert excluded.json() == {"account": "C1", "excluded": "compte clé", "resumed": 0}
    assert (await api.put("/v1/accounts/C404/dunning-exclusion", {"reason": "x"})).status_code == 404
    assert (await api.put("/v1/accounts/C1/dunning-exclusion", {"reason": ""})).status_code == 422
    readmitted = await api.http.delete("/v1/accounts/C1/dunning-exclusion", headers=api.auth())
    assert readmitted.json() == {"account": "C1", "excluded": None, "resumed": 0}

    saved = await api.put("/v1/settings/dunning", {"minimum_amounts": {"EUR": "5.00"}})
    assert saved.status_code == 200 and saved.json()["minimum_amounts"] == {"EUR": "5.00"}, saved.text
    refused = await api.put("/v1/settings/dunning", {"minimum_amounts": {"EURO": "5", "USD": "-1"}})
    assert refused.status_code == 422 and "minimum_amounts" in refused.text
    assert (await api.get("/v1/settings/dunning")).json()["minimum_amounts"] == {"EUR": "5.00"}
