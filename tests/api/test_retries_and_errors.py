"""Retries are safe (Idempotency-Key) and every refusal is a problem document naming record and field."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from relance.importing.importer import ImportRejected
from starter.importing import import_data
from tests import factories as f


async def test_the_same_payment_sent_twice_with_one_key_is_recorded_once(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice(due="today+20")]))
    payment, retry = {"ref": "P-1", "amount": "100.00"}, {"Idempotency-Key": "pay-F-1-once"}
    first = await api.post("/v1/invoices/F-1/payments", payment, headers=retry)
    second = await api.post("/v1/invoices/F-1/payments", payment, headers=retry)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and Decimal(first.json()["amount_due"]) == Decimal("1100.00")
    assert second.headers["idempotent-replayed"] == "true"
    other = await api.post("/v1/invoices/F-1/payments", {"ref": "P-2", "amount": "100.00"}, headers=retry)
    assert other.status_code == 422
    assert "another request" in other.json()["detail"]
    fresh = await api.post("/v1/invoices/F-1/payments", {"ref": "P-2", "amount": "100.00"},
                           headers={"Idempotency-Key": "pay-F-1-twice"})
    assert Decimal(fresh.json()["amount_due"]) == Decimal("1000.00")


async def test_one_idempotency_key_used_by_two_organisations_never_meets(api):
    stack = api.stack
    other = stack.org()
    other["slug"] = f"{stack.slug}-b"
    await stack.load(other)
    outsider = await api.key_for(other["slug"])
    same = {"Idempotency-Key": "shared"}
    mine = await api.put("/v1/invoices/F-7", _invoice(), headers=same)
    theirs = await api.put("/v1/invoices/F-7", _invoice(), key=outsider, headers=same)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers


async def test_concurrent_copies_of_one_request_do_it_once(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice(due="today+20")]))
    retry = {"Idempotency-Key": "burst"}
    answers = await asyncio.gather(*(api.post("/v1/invoices/F-1/payments", {"ref": "P-1", "amount": "5.00"},
                                              headers=retry) for _ in range(5)))
    assert {a.status_code for a in answers} <= {200, 409}
    done = [a for a in answers if a.status_code == 200]
    assert {a.json()["amount_due"] for a in done} == {"1195.00"}


@pytest.mark.parametrize("document", [
    {"organisations": [{"slug": "SLUG", "name": "x", "timezone": "Mars/Olympus"}]},
    {"organisations": [{"slug": "SLUG", "name": "x", "invoices": [f.invoice(account="NOPE", due="2026-02-30")]}]},
    {"organisations": [{"slug": "SLUG", "name": "x", "dunning": {"scenario": "missing"}, "accounts": [
        {"ref": "A", "name": "A"}, {"ref": "A", "name": "B"}]}]},
    {"organisations": "not a list"},
])
async def test_every_importer_error_comes_back_as_a_problem_document(api, document):
    document = _with_slug(document, api.stack.slug)
    with pytest.raises(ImportRejected) as direct:
        await import_data(api.stack.db, document, "request body", datetime.now(UTC).date())
    response = await api.post("/v1/imports", document)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == direct.value.problems
    assert (problem["status"], problem["title"], problem["instance"]) == (422, "Unprocessable Entity", "/v1/imports")


async def test_a_body_that_is_not_json_or_too_large_is_refused(api):
    broken = await api.http.post("/v1/imports", content=b"{not json", headers={
        **api.auth(), "content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["errors"][0].startswith("not valid JSON")
    huge = await api.http.post("/v1/imports", content=b"x" * (21 * 1024 * 1024), headers=api.auth())
    assert huge.status_code == 413
    assert huge.json()["errors"] == [f"body: at most {20 * 1024 * 1024} bytes"]


async def test_a_field_the_format_refuses_is_named(api):
    response = await api.post("/v1/invoices/F-1/payments", {"ref": "P", "amount": "-5"})
    assert response.status_code == 422
    assert response.json()["errors"] == ["amount: Input should be greater than 0"]


def _invoice() -> dict:
    body = f.invoice(due="today+30")
    body.pop("number")
    return body


def _with_slug(document: dict, slug: str) -> dict:
    import json

    return json.loads(json.dumps(document).replace("SLUG", slug))


@pytest.mark.parametrize("path", ["/v1/invoices/F%001/run", "/v1/marketing/campaigns/a%00b",
                                  "/v1/contracts/" + "C" * 201, "/v1/marketing/scenarios/t/preview?contact=H%00"])
async def test_a_reference_that_cannot_be_one_is_refused_naming_it(api, path):
    answer = await api.get(path)
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error.split(".")[0] in ("path", "query") and ("NUL character" in error or "at most 200" in error)
