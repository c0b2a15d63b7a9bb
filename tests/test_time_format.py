"""One way to write a time (issue 23): every time a `relance` command prints is the organisation's wall
time with its offset, `2026-11-27 22:35 +05:30`, never +0000, UTC, a zone's abbreviation or no zone."""

import os
import re
from datetime import UTC, date, datetime

from models import DeliveryState, Task, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests import factories as f
from tests.test_cli import relance
from tests.webhooks.conftest import org_id

ZONE = "Asia/Kolkata"  # +05:30 all year: neither the machine's zone, UTC nor a whole hour
# Anything a person would read as a time: a date, an hour, and whatever zone follows it.
A_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?: ?(?:[+-]\d\d:?\d\d|Z\b|[A-Z]{2,5}\b))?")
WRITTEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d \+05:30")
EVENT_AT = datetime(2026, 11, 27, 17, 5, tzinfo=UTC)


def times_in(text: str) -> list[str]:
    return A_TIME.findall(text)


def answer(result) -> str:
    """What the command says to its user: its output and its error sentence (`relance …: …`), not the
    developer log lines (structlog, in UTC like the rest of the logs)."""
    said = [line for line in result.stderr.splitlines(keepends=True) if line.startswith("relance")]
    return result.stdout + "".join(said)


def assert_written_in_the_zone(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    times = times_in(answer(result))
    assert times and all(WRITTEN.fullmatch(t) for t in times), answer(result)


async def test_every_time_the_cli_prints_is_in_the_organisations_zone_with_its_offset(stack, settings):
    env = {**os.environ, "RELANCE_DATABASE_URL": settings.database_url, "RELANCE_TASK_QUEUE": stack.task_queue,
           "RELANCE_TEMPORAL_ADDRESS": stack.client.service_client.config.target_host}
    await stack.load(stack.org(timezone=ZONE, invoices=[f.invoice()]))
    org = await org_id(stack.db, stack.slug)
    async with stack.db.session() as session:
        endpoint = WebhookEndpoint(org_id=org, url="https://hooks.example.org/in", secret="whsec_x",
                                   event_types=["run.ended"], created_at=EVENT_AT)
        event = WebhookEvent(id=f"evt-{stack.slug}", org_id=org, type="run.ended", payload={}, occurred_at=EVENT_AT)
        task = Task(org_id=org, about_kind="invoice", about_ref="F-1", title="Call the customer",
                    due_on=date(2026, 11, 30), source_workflow_id="wf", idem_key=f"task-{stack.slug}",
                    created_at=EVENT_AT)
        session.add_all([endpoint, event, task])
        await session.flush()
        delivery = WebhookDelivery(org_id=org, event_id=event.id, endpoint_id=endpoint.id,
                                   state=DeliveryState.SUCCEEDED, attempts=1, last_status=200,
                                   succeeded_at=EVENT_AT, created_at=EVENT_AT)
        session.add(delivery)
        await session.flush()
        delivery_id, task_id = delivery.id, task.id

    assert (await relance(env, "apikey", "create", stack.slug, "--name", "erp")).returncode == 0
    keys = await relance(env, "apikey", "list", stack.slug)
    assert_written_in_the_zone(keys)

    endpoints = await relance(env, "webhook", "list", stack.slug)
    assert "2026-11-27 22:35 +05:30" in endpoints.stdout, endpoints.stdout
    assert_written_in_the_zone(endpoints)

    deliveries = await relance(env, "webhook", "deliveries", stack.slug)
    assert f"{delivery_id}  2026-11-27 22:35 +05:30  run.ended" in deliveries.stdout, deliveries.stdout
    assert_written_in_the_zone(deliveries)

    replay = await relance(env, "webhook", "replay", stack.slug, str(delivery_id))
    assert replay.returncode != 0 and "succeeded at 2026-11-27 22:35 +05:30" in answer(replay)
    assert_written_in_the_zone(replay)

    closed = await relance(env, "tasks", "close", stack.slug, str(task_id), "--by", "anne")
    assert f"task {task_id} closed by anne at " in closed.stdout, closed.stdout + closed.stderr
    assert_written_in_the_zone(closed)


def test_the_pattern_catches_every_old_way_of_writing_a_time():
    old = ["2026-11-27 17:05 +0000", "2026-11-27 18:05 CET", "2026-11-27 18:05", "2026-11-27 17:05 UTC",
           "2026-11-27T17:05:00Z", "2026-11-27 22:35 +0530"]
    assert [WRITTEN.fullmatch(t) for found in map(times_in, old) for t in found] == [None] * len(old)
