"""Per-customer dunning over HTTP: an account's scenario and tags, the assignment rules, the customer
statement rendered and sent once through the one send path; bad input refused naming the field."""

from __future__ import annotations

from tests import factories as f

OPEN = [f.invoice("F-1", due="today-20", amount_excl_tax="100.00", amount_incl_tax="120.00",
                  payments=[{"ref": "VIR-1", "amount": "20.00", "paid_on": "today-3"}]),
        f.invoice("F-2", due="today-5", amount_excl_tax="50.00", amount_incl_tax="60.00"),
        f.invoice("F-3", due="today-40", status="paid")]


async def test_the_statement_lists_what_is_due_and_is_sent_once_per_request(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=OPEN))

    shown = await api.get("/v1/accounts/C1/statement")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert [(i["number"], i["amount_due"]) for i in body["invoices"]] == [("F-1", "100.00"), ("F-2", "60.00")]
    assert body["totals"] == {"EUR": "160.00"}
    assert (body["recipient"], body["subject"], body["message_id"]) == ("billing@dupont.example.org",
                                                                        f"Relevé de compte au {_today(body)}", None)
    text = (await api.get("/v1/accounts/C1/statement", params={"format": "text"})).text
    assert "Total dû : 160,00\xa0€" in text and "F-3" not in text
    assert stack.sent() == []

    headers = {"Idempotency-Key": "statement-1"}
    sent = await api.post("/v1/accounts/C1/statement/send", headers=headers)
    again = await api.post("/v1/accounts/C1/statement/send", headers=headers)
    assert sent.status_code == again.status_code == 200, sent.text
    [message] = stack.sent()
    assert sent.json()["message_id"] == again.json()["message_id"] == message["message_id"]
    assert message["destinations"]["to"] == ["billing@dupont.example.org"]
    assert "F-1" in message["body"] and "160,00" in message["body"]


def _today(body: dict) -> str:
    return body["subject"].rsplit(" ", 1)[-1]


async def test_a_customer_with_nothing_due_or_unknown_is_a_clear_refusal(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice("F-3", status="paid")]))
    nothing = await api.get("/v1/accounts/C1/statement")
    assert nothing.status_code == 422
    assert nothing.json()["detail"] == "account 'C1': nothing due, no statement to make"
    unknown = await api.post("/v1/accounts/C9/statement/send")
    assert unknown.status_code == 404 and "account 'C9'" in unknown.json()["detail"]
    assert stack.sent() == []


async def test_account_scenario_tags_and_rules_are_set_checked_and_read_back(api):
    stack = api.stack
    await stack.load(stack.org(scenarios=[{"key": "default", "name": "Relances", "steps": f.ONE_REMINDER},
                                          {"key": "firm", "name": "Ferme", "steps": f.ONE_REMINDER}]))
    bad = await api.put("/v1/accounts/C1/dunning", {"scenario": "nope"})
    assert bad.status_code == 422 and bad.json()["errors"] == ["account 'C1' › scenario: unknown scenario 'nope'"]
    missing = await api.put("/v1/accounts/C9/dunning", {"tags": ["vip"]})
    assert missing.status_code == 404
    saved = await api.put("/v1/accounts/C1/dunning", {"tags": ["vip"], "scenario": "firm"})
    assert saved.json() == {"account": "C1", "scenario": "firm", "tags": ["vip"]}

    refused = await api.put("/v1/settings/dunning/scenario-rules",
                            {"rules": [{"tag": "ghost", "scenario": "firm"}, {"min_due": "10", "scenario": "nope"}]})
    assert refused.status_code == 422
    assert refused.json()["detail"] == ("rules[1] › tag: unknown tag (no account carries it) 'ghost'; "
                                        "rules[2] › scenario: unknown scenario 'nope'")
    assert (await api.get("/v1/settings/dunning/scenario-rules")).json() == {"rules": []}
    rules = {"rules": [{"tag": "vip", "scenario": "firm"}, {"min_due": "5000.00", "scenario": "default"}]}
    assert (await api.put("/v1/settings/dunning/scenario-rules", rules)).status_code == 200
    read = (await api.get("/v1/settings/dunning/scenario-rules")).json()["rules"]
    assert [(r["tag"], r["min_due"], r["scenario"]) for r in read] == [("vip", None, "firm"),
                                                                      (None, "5000.00", "default")]
    grouped = await api.put("/v1/settings/dunning", {"one_email_per_customer": True})
    assert grouped.json()["one_email_per_customer"] is True
