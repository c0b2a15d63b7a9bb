"""The host application drives a dunning run over HTTP: create the invoice, see the reminder, pay."""

from __future__ import annotations

from decimal import Decimal

from relance.dunning.types import ExitReason
from tests import factories as f


def invoice_body(**fields) -> dict:
    body = f.invoice(**fields)
    body.pop("number")
    return body


async def test_creating_an_invoice_starts_its_run_and_a_payment_ends_it(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(dunning={"apply_to_new_invoices": True}))
    created = await api.put("/v1/invoices/F-1", invoice_body(due="today-20"))
    assert created.status_code == 201, created.text
    assert created.json() == {"number": "F-1", "created": True, "run_started": True}
    await stack.advance_until(lambda: stack.sent())
    run = (await api.get("/v1/invoices/F-1/run")).json()
    assert ("email", "sent") in [(e["kind"], e["outcome"]) for e in run["timeline"]]
    assert run["timeline"][-1]["at"].endswith(("+01:00", "+02:00")), "times are in the organisation's zone"

    paid = await api.post("/v1/invoices/F-1/payments", {"ref": "P-1", "amount": "1200.00"})
    assert paid.status_code == 200, paid.text
    assert Decimal(paid.json()["amount_due"]) == 0
    await stack.client.get_workflow_handle(run["workflow_id"]).result()
    ended = (await api.get("/v1/invoices/F-1/run")).json()
    assert (ended["state"], ended["exit_reason"], ended["live"]) == ("ended", ExitReason.PAID, None)


async def test_updating_an_invoice_says_so_and_starts_nothing_new(api):
    first = await api.put("/v1/invoices/F-2", invoice_body(due="today+30"))
    again = await api.put("/v1/invoices/F-2", invoice_body(due="today+30", amount_incl_tax="1300.00"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False


async def test_an_invoice_naming_an_unknown_account_is_refused_with_the_field(api):
    response = await api.put("/v1/invoices/F-3", invoice_body(account="NOPE"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        f"organisation {api.stack.slug!r} › invoice 'F-3' › account: unknown account 'NOPE'"]
    assert (await api.get("/v1/invoices/F-3/run")).status_code == 404


async def test_cancelling_reminders_stops_the_run_with_who_and_why(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice(due="today+20")]))
    handle = await stack.start()
    response = await api.post("/v1/invoices/F-1/cancel-reminders", {"reason": "paid by cheque", "by": "anna"})
    assert response.status_code == 200, response.text
    result = await handle.result()
    assert result.reason == ExitReason.CANCELLED
    again = await api.post("/v1/invoices/F-1/cancel-reminders", {"reason": "paid by cheque", "by": "anna"})
    assert again.status_code == 409


async def test_preview_forecast_and_activation_answer_for_the_organisation(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today+20"), f.invoice("F-2", due="today-5")]))
    preview = await api.get("/v1/invoices/F-1/preview")
    assert [s["label"] for s in preview.json()] == [
        "Rappel", "Première relance", "Deuxième relance", "Appel"]
    assert preview.json()[0]["subject"] == "Rappel facture F-1"
    forecast = await api.get("/v1/forecast", params={"days": 60})
    assert forecast.status_code == 200 and {line["invoice"] for line in forecast.json()} == {"F-2"}
    off = await api.put("/v1/dunning", {"enabled": False})
    assert off.json() == {"enabled": False, "resumed": 0}
