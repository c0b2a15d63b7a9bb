"""One contract on every route (issue 21): amounts never rounded, numbers beyond their column refused
naming the field, misspelt fields refused, a chunked body over the limit a 413, every problem of a
body in one answer, concurrent writes never a 500, steps numbered from 1, times with the
organisation's offset."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from models import Payment
from tests import factories as f
from tests.agency import data

HUGE = ["1e15", "1e30", "100000000000000000000"]
LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+0[12]:00$")  # Europe/Paris, never Z


def invoice_body(**fields) -> dict:
    body = f.invoice(**fields)
    body.pop("number")
    return body


async def payments_of(api, number: str) -> list[Payment]:
    async with api.stack.db.session() as session:
        return list((await session.exec(select(Payment).where(Payment.ref.startswith("P-")))).all())


async def test_an_amount_with_more_decimals_than_the_currency_is_refused_not_rounded(api):
    answer = await api.put("/v1/invoices/F-1", invoice_body(amount_excl_tax="100.001", amount_incl_tax="120.00"))
    assert answer.status_code == 422, answer.text
    assert [e.split(":")[0] for e in answer.json()["errors"]] == ["amount_excl_tax"]
    assert (await api.get("/v1/invoices/F-1/run")).status_code == 404
    yen = api.stack.org(currency="JPY")
    await api.stack.load(yen)
    refused = await api.put("/v1/invoices/F-1", invoice_body(amount_excl_tax="100.50", amount_incl_tax="120"))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [f"organisation {api.stack.slug!r} › invoice 'F-1' › amount_excl_tax: 100.50 "
                                        "has more decimals than JPY allows (0); not rounded"]


@pytest.mark.parametrize("huge", HUGE)
async def test_an_amount_beyond_the_column_is_a_422_naming_the_field(api, huge):
    invoice = await api.put("/v1/invoices/F-1", invoice_body(amount_incl_tax=huge))
    assert invoice.status_code == 422, invoice.text
    assert [e.split(":")[0] for e in invoice.json()["errors"]] == ["amount_incl_tax"]
    await api.stack.load(api.stack.org(invoices=[f.invoice(due="today+20")]))
    payment = await api.post("/v1/invoices/F-1/payments", {"ref": "P-1", "amount": huge})
    assert payment.status_code == 422 and payment.json()["errors"][0].startswith("amount:"), payment.text


@pytest.mark.parametrize("huge", HUGE)
async def test_a_booking_amount_beyond_the_column_is_a_422_naming_the_field(api, huge):
    await api.stack.load(data.organisation(api.stack.slug, [], {"arrival": 7}))
    body = data.booking("R1", "2030-05-10", "2030-05-17", balance_amount=huge, balance_due_on="2030-05-01")
    answer = await api.put("/v1/agencies/mer/bookings/R1", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0].startswith("balance_amount:")
    assert (await api.get("/v1/agencies/mer/bookings/R1")).status_code == 404


async def test_ids_and_versions_beyond_an_integer_column_are_a_422_naming_the_field(api):
    await api.stack.load(data.organisation(api.stack.slug, [], {"arrival": 7}))
    big = 10**20
    answers = {
        "draft_id": await api.get(f"/v1/agencies/mer/drafts/{big}"),
        "version": await api.post("/v1/agencies/mer/drafts/1/send", {"version": big}),
        "draft_ids[0]": await api.post("/v1/agencies/mer/tabs/arrival/send", {"draft_ids": [big]}),
        "delivery_id": await api.get(f"/v1/webhook-deliveries/{big}/attempts"),
    }
    for field, answer in answers.items():
        assert answer.status_code == 422, (field, answer.text)
        assert any(e.startswith(f"{field}:") for e in answer.json()["errors"]), (field, answer.json())


async def test_a_misspelt_field_in_a_payment_is_refused_not_ignored(api):
    await api.stack.load(api.stack.org(invoices=[f.invoice(due="today+20")]))
    answer = await api.post("/v1/invoices/F-1/payments", {"ref": "P-1", "amount": "10.00", "paid_om": "2026-01-05"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == ["paid_om: Extra inputs are not permitted"]
    assert await payments_of(api, "F-1") == []


async def test_one_payment_ref_posted_50_times_at_once_is_recorded_once_and_nothing_fails(api):
    await api.stack.load(api.stack.org(invoices=[f.invoice(due="today+20")]))
    answers = await asyncio.gather(*(api.post("/v1/invoices/F-1/payments", {"ref": "P-1", "amount": "5.00"})
                                     for _ in range(50)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1 and set(statuses) <= {200, 409, 422}, statuses
    assert [p.amount for p in await payments_of(api, "F-1")] == [Decimal("5.00")]


async def test_a_chunked_body_over_the_limit_is_a_413(api):
    async def chunks():
        for _ in range(21):
            yield b" " * (1024 * 1024)

    answer = await api.http.put("/v1/invoices/F-1", content=chunks(),
                                headers={**api.auth(), "content-type": "application/json"})
    assert answer.status_code == 413, answer.text
    assert answer.json()["errors"] == [f"body: at most {20 * 1024 * 1024} bytes"]


async def test_every_problem_of_an_invoice_body_comes_in_one_answer(api):
    answer = await api.put("/v1/invoices/F-1", invoice_body(account="NOPE", due="2026-02-30"))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert [e.split(":")[0] for e in errors] == [
        "due_date", f"organisation {api.stack.slug!r} › invoice 'F-1' › account"], errors


async def test_steps_are_numbered_from_one_as_everywhere_else(api):
    stack = api.stack
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today-20")]))
    await stack.start()
    await stack.advance_until(lambda: stack.sent())
    run = (await api.get("/v1/invoices/F-1/run")).json()
    sent = [e for e in run["timeline"] if (e["kind"], e["outcome"]) == ("email", "sent")]
    first_reminder = [s["label"] for s in f.DEFAULT_STEPS].index("Première relance") + 1
    assert [e["step_number"] for e in sent] == [first_reminder], run["timeline"]
    assert "step_position" not in run["timeline"][0]


async def test_times_in_answers_carry_the_organisations_offset(api):
    created = await api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/relance"})
    assert created.status_code == 201, created.text
    listed = (await api.get("/v1/webhook-endpoints")).json()
    assert LOCAL_TIME.match(created.json()["created_at"]) and LOCAL_TIME.match(listed[0]["created_at"]), listed


async def test_every_problem_of_a_booking_comes_in_one_answer(api):
    await api.stack.load(data.organisation(api.stack.slug, [], {"arrival": 7}))
    body = data.booking("R1", "2030-05-10", "2030-05-32", property="NOPE", guest_email="not an address")
    answer = await api.put("/v1/agencies/mer/bookings/R1", json=body)
    assert answer.status_code == 422
    assert [e.split(":")[0] for e in answer.json()["errors"]] == ["guest_email", "departure", "property"]


async def test_a_number_the_database_cannot_store_is_a_422_even_on_a_route_without_the_types(api):
    """The backstop of the typed bodies, for a route that forgot them: injected as such a route."""
    app = api.http._transport.app

    @app.get("/test/overflow")
    async def overflow():
        async with api.stack.db.session() as session:
            await session.exec(text("SELECT CAST(1e20 AS numeric(12, 2))"))

    answer = await api.get("/test/overflow")
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == ["body: a number is out of range"]
