"""A key opens one organisation: another's records are not found, a bad key writes nothing."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from sqlmodel import select

from models import Invoice, Payment
from relance import apikeys
from tests import factories as f


async def _payments(db) -> int:
    async with db.session() as session:
        return len((await session.exec(select(Payment))).all())


async def test_no_key_a_wrong_key_and_a_revoked_key_are_refused_and_write_nothing(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice()]))
    keys = await apikeys.list_keys(stack.db, stack.slug)
    await apikeys.revoke_key(stack.db, stack.slug, keys[0].id, datetime.now(UTC))
    payment = {"ref": "P-9", "amount": "10.00"}
    missing = await api.http.post("/v1/invoices/F-1/payments", json=payment)
    wrong = await api.post("/v1/invoices/F-1/payments", payment, key="rlk_not-a-key")
    revoked = await api.post("/v1/invoices/F-1/payments", payment)
    for response in (missing, wrong, revoked):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
    assert await _payments(stack.db) == 0


async def test_another_organisations_records_are_not_found_and_untouched(api):
    stack = api.stack
    await stack.load(stack.org(invoices=[f.invoice()], contracts=[f.contract()]))
    other = copy.deepcopy(stack.org())
    other["slug"] = f"{stack.slug}-other"
    await stack.load(other)
    outsider = await api.key_for(other["slug"])
    for path in ("/v1/invoices/F-1/run", "/v1/invoices/F-1/preview", "/v1/contracts/CT-1"):
        response = await api.get(path, key=outsider)
        assert response.status_code == 404, path
        assert f"{stack.slug!r}" not in response.text, "the answer says nothing of the other organisation"
    paid = await api.post("/v1/invoices/F-1/payments", {"ref": "P-1", "amount": "1.00"}, key=outsider)
    cancelled = await api.post("/v1/invoices/F-1/cancel-reminders", {"reason": "x", "by": "y"}, key=outsider)
    assert (paid.status_code, cancelled.status_code) == (404, 404)
    assert await _payments(stack.db) == 0
    imported = await api.post("/v1/imports", {"organisations": [stack.org(invoices=[f.invoice("F-9")])]},
                              key=outsider)
    assert imported.status_code == 422
    assert imported.json()["errors"] == [
        f"organisations[0].slug: {stack.slug!r} is not this key's organisation {other['slug']!r}"]
    async with stack.db.session() as session:
        assert (await session.exec(select(Invoice).where(Invoice.number == "F-9"))).first() is None


async def test_an_admin_key_creates_an_organisation_and_its_key_and_nothing_else(dev_api):
    api = dev_api
    admin = await api.key_for(None)
    new_org = api.stack.org(invoices=[])
    new_org["slug"] = f"{api.stack.slug}-new"
    created = await api.post("/v1/organisations", new_org, key=admin)
    assert created.status_code == 201, created.text
    again = await api.post("/v1/organisations", new_org, key=admin)
    assert again.status_code == 409
    key = (await api.post(f"/v1/organisations/{new_org['slug']}/api-keys", {"name": "host"}, key=admin)).json()
    assert key["key"].startswith("rlk_")
    assert (await api.get("/v1/forecast", key=key["key"])).status_code == 200
    assert (await api.get("/v1/forecast", key=admin)).status_code == 403
    assert (await api.post("/v1/organisations", new_org)).status_code == 403


async def test_keys_are_kept_hashed_and_list_their_last_use(api):
    await api.get("/v1/forecast")
    keys = await apikeys.list_keys(api.stack.db, api.stack.slug)
    assert len(keys) == 1 and keys[0].last_used_at is not None
    assert api.key not in (keys[0].key_hash, keys[0].prefix) and keys[0].key_hash == apikeys.digest(api.key)
