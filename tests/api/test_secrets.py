"""Secrets are shown once and never kept in clear: an API key is kept as its hash, a webhook secret
sealed under RELANCE_CODEC_KEYS (and still signs), no idempotent answer keeps either (a retry is a 409),
and an idempotent answer is gone after a day."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from activities.webhooks import WebhookActivities
from relance import apikeys
from relance.sealing import Sealer
from relance.temporal.codec import new_key
from relance.temporal.queues import webhook_queue
from relance.webhooks.publishing import Event, Publisher
from tests import factories as f
from tests.api.conftest import serving
from tests.conftest import RECEIVERS
from tests.webhooks.conftest import org_id, receiver, until  # noqa: F401  (the fixture)
from worker import build_worker

_TEXT_COLUMNS = text("""
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb',
                                                'ARRAY')
ORDER BY table_name, column_name
""")


async def columns_holding(db, needles: list[str]) -> list[str]:
    """Every `table.column` of the database where one of the needles is written, in any row."""
    found = []
    async with db.engine.connect() as conn:
        for table, column, data_type in (await conn.execute(_TEXT_COLUMNS)).all():
            value = f'"{column}"' if data_type == "bytea" else f'CAST("{column}" AS text)'
            needle = "convert_to(:needle, 'UTF8')" if data_type == "bytea" else ":needle"
            for secret in needles:
                query = text(f'SELECT count(*) FROM "{table}" WHERE position({needle} IN {value}) > 0')
                if (await conn.execute(query, {"needle": secret})).scalar():
                    found.append(f"{table}.{column}")
    return found


async def test_no_key_or_webhook_secret_is_kept_in_clear_or_replayed(stack, settings, receiver):  # noqa: F811
    keys = f"k1:{new_key()}"
    async with serving(stack, replace(settings, codec_keys=keys), stack.client) as api:
        admin = await api.key_for(None)
        once = {"Idempotency-Key": "new-key-1"}
        made = await api.post(f"/v1/organisations/{stack.slug}/api-keys", {"name": "ci"}, key=admin, headers=once)
        assert made.status_code == 201, made.text
        token = made.json()["key"]
        retried = await api.post(f"/v1/organisations/{stack.slug}/api-keys", {"name": "ci"}, key=admin, headers=once)
        assert retried.status_code == 409 and "shown" in retried.json()["detail"] and token not in retried.text
        assert [k.name for k in await apikeys.list_keys(stack.db, stack.slug)].count("ci") == 1, "made once"

        once = {"Idempotency-Key": "new-hook-1"}
        registered = await api.post("/v1/webhook-endpoints", {"url": receiver.url}, headers=once)
        assert registered.status_code == 201, registered.text
        assert registered.headers["cache-control"] == "no-store"
        secret = registered.json()["secret"]
        retried = await api.post("/v1/webhook-endpoints", {"url": receiver.url}, headers=once)
        assert retried.status_code == 409 and secret not in retried.text
        assert len((await api.get("/v1/webhook-endpoints")).json()) == 1, "registered once"

    assert await columns_holding(stack.db, [token, secret, secret.removeprefix("whsec_")]) == []

    # The worker opens the sealed secret with the same keys: the receiver verifies the signature.
    queue = stack.task_queue + "-sealed"
    acts = WebhookActivities(stack.db, RECEIVERS, Sealer(keys))
    async with build_worker(stack.client, queue, stack.db, stack.mailer,
                            overrides={"attempt_delivery": acts.attempt_delivery}):
        await Publisher(stack.db, stack.client, webhook_queue(queue)).publish(Event(
            await org_id(stack.db, stack.slug), stack.slug, "run.ended", "k", {}, await stack.now()))
        [request] = await until(lambda: receiver.accepted())
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "run.ended"


async def test_an_idempotent_answer_is_gone_after_a_day_and_its_key_is_new_again(api):
    invoice = f.invoice()
    invoice.pop("number")
    assert (await api.put("/v1/invoices/F-1", invoice, headers={"Idempotency-Key": "old"})).status_code == 201
    async with api.stack.db.engine.begin() as conn:
        await conn.execute(text("UPDATE idempotentrequest SET created_at = now() - interval '25 hours'"))

    assert (await api.put("/v1/invoices/F-2", invoice, headers={"Idempotency-Key": "new"})).status_code == 201
    async with api.stack.db.engine.connect() as conn:
        kept = (await conn.execute(text("SELECT idem_key FROM idempotentrequest"))).scalars().all()
    assert kept == ["new"], "a day-old answer is purged, whichever key comes next"
    again = await api.put("/v1/invoices/F-3", invoice, headers={"Idempotency-Key": "old"})
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
