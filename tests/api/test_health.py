"""/healthz says the process answers; /readyz says whether PostgreSQL and Temporal do."""

from __future__ import annotations

from dataclasses import replace

import httpx

from relance.api.app import create_app
from relance.api.services import Services
from tests.conftest import free_port


async def test_ready_when_database_and_temporal_answer(api):
    assert (await api.http.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "temporal": "ok"}}


async def test_not_ready_while_temporal_is_unreachable_and_calls_needing_it_say_so(api, settings, db, mailer):
    down = replace(settings, temporal_address=f"127.0.0.1:{free_port()}")
    app = create_app(down)
    app.state.services = Services(down, db, mailer)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relance.test") as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["temporal"].startswith("unavailable")
        paid = await http.post("/v1/invoices/F-1/payments", json={"ref": "P", "amount": "1"}, headers=api.auth())
        assert paid.status_code == 503 and paid.headers["retry-after"] == "5"
        assert "Temporal is not reachable" in paid.json()["detail"]
