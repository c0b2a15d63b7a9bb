"""The worker does not ping connections before use: a connection PostgreSQL closed (a restart, an
idle timeout) fails one activity attempt, leaves the pool, and the retry sends the reminder once."""

import uuid
from datetime import timedelta

from sqlalchemy import text

from relance.db import Database
from relance.local import ses as local_ses
from starter.dunning import start_dunning_run
from tests import factories as f
from worker import build_worker


async def _close_every_other_connection(db: Database) -> int:
    async with db.engine.begin() as conn:
        closed = await conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        return closed.scalar_one()


async def test_a_connection_closed_under_the_worker_costs_one_retry_not_a_reminder(env, db, mailer, settings,
                                                                                   ses_endpoint, clean):
    await mailer.verify(f.SENDER)
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    today = (await env.get_current_time()).date()
    await f.load(db, f.org(f.ONE_REMINDER, slug=slug, invoices=[f.invoice(due="today+1")]), today)
    worker_db = Database(settings.database_url, ping_on_checkout=False)
    queue = f"relance-test-{uuid.uuid4()}"
    try:
        async with build_worker(env.client, queue, worker_db, mailer):
            handle = await start_dunning_run(env.client, queue, slug, "F-1", "C1")
            await env.sleep(timedelta(hours=1))  # begun: the worker's pool holds an open connection
            assert worker_db.engine.pool.checkedin() >= 1
            assert await _close_every_other_connection(db) >= 1
            result = await handle.result()
    finally:
        await worker_db.close()
    assert result.emails_sent == 1
    assert len(local_ses.sent_messages(ses_endpoint)) == 1
    attempts = [e async for e in handle.fetch_history_events()
                if e.HasField("activity_task_started_event_attributes")]
    assert any(e.activity_task_started_event_attributes.attempt > 1 for e in attempts)
