"""Two requests whose transactions lock the same rows in opposite order: PostgreSQL ends one of them
(a deadlock). The caller is told to send it again (409, Retry-After), never a 500, and the other goes on."""

from __future__ import annotations

import asyncio

from fastapi import Depends
from sqlalchemy import text

from relance.api.services import Services, services

LOCK = {"organisation": "UPDATE organisation SET name = name WHERE slug = :slug",
        "account": "UPDATE account SET name = name WHERE ref = 'C1' AND org_id = "
                   "(SELECT id FROM organisation WHERE slug = :slug)"}


async def test_a_deadlock_between_two_requests_answers_409_with_retry_after(api):
    both_hold_one = asyncio.Barrier(2)

    async def lock_both(first: str, slug: str, svc: Services = Depends(services)):
        """Lock `first`, wait until the other request holds the other row, then lock it."""
        second = "account" if first == "organisation" else "organisation"
        async with svc.db.session() as session:
            await session.exec(text(LOCK[first]).bindparams(slug=slug))
            await both_hold_one.wait()
            await session.exec(text(LOCK[second]).bindparams(slug=slug))
        return {"locked": [first, second]}

    api.http._transport.app.add_api_route("/test/lock/{first}/{slug}", lock_both, methods=["POST"])
    answers = await asyncio.gather(*(api.http.post(f"/test/lock/{first}/{api.stack.slug}")
                                     for first in ("organisation", "account")))
    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert "a deadlock" in refused.json()["detail"] and "send it again" in refused.json()["detail"]
