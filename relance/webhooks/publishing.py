"""publish(): what a domain's activity calls when something happened that the host may want to know.

One statement records the event and a delivery for each enabled endpoint of the organisation that
wants its type, and answers the deliveries still pending; each gets one delivery workflow, started
under a deterministic id. So an organisation without endpoints costs one indexed query and no write;
an activity retried publishes nothing twice (the event's id is its key's, the deliveries are unique,
the workflow ids are taken); and a retry after a crash between the row and the start starts the
deliveries the crash left pending.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import SearchAttributePair

from models import DeliveryState
from relance.db import Database
from relance.temporal import search_attributes as sa
from relance.temporal.starting import start_once
from relance.webhooks.ids import DELIVERY_WORKFLOW, delivery_workflow_id, event_id
from relance.webhooks.types import DeliveryInput, DeliveryResult

log = structlog.get_logger("relance.webhooks")

# Built once; the data-modifying CTEs write nothing when no endpoint wants the event.
_PUBLISH = text(f"""
WITH targets AS (
    SELECT id FROM webhookendpoint
    WHERE org_id = :org_id AND enabled AND (event_types IS NULL OR :type = ANY(event_types))
), event AS (
    INSERT INTO webhookevent (id, org_id, type, payload, occurred_at)
    SELECT :event_id, :org_id, :type, CAST(:payload AS jsonb), :occurred_at WHERE EXISTS (SELECT FROM targets)
    ON CONFLICT (id) DO NOTHING
), fresh AS (
    INSERT INTO webhookdelivery (org_id, event_id, endpoint_id, state, attempts, created_at)
    SELECT :org_id, :event_id, id, '{DeliveryState.PENDING}', 0, :occurred_at FROM targets
    ON CONFLICT (event_id, endpoint_id) DO NOTHING
    RETURNING id, endpoint_id
)
SELECT id, endpoint_id FROM fresh
UNION ALL
SELECT d.id, d.endpoint_id FROM webhookdelivery d JOIN targets t ON t.id = d.endpoint_id
WHERE d.event_id = :event_id AND d.state = '{DeliveryState.PENDING}'
""")


@dataclass(frozen=True)
class Event:
    """What happened. `key` names it once and for all (a step's idempotency key, `run.ended:<run id>`):
    the event's id derives from it. `data` never carries an email body or a secret."""

    org_id: int
    org_slug: str
    type: str
    key: str
    data: dict
    occurred_at: datetime

    @property
    def id(self) -> str:
        return event_id(self.key)


class Publisher:
    """Held by the worker's activities: the database, the client, and the deliveries' task queue."""

    def __init__(self, db: Database, client: Client, task_queue: str):
        self.db = db
        self.client = client
        self.task_queue = task_queue

    async def publish(self, event: Event) -> int:
        """Record the event and start its deliveries; the number of delivery runs started now."""
        async with self.db.autocommit() as session:
            pending = await record(session, event)
        return await self.deliver(event, pending)

    async def deliver(self, event: Event, pending: list) -> int:
        """Start the deliveries `record` answered, once the caller's connection is back in the pool."""
        if not pending:
            return 0
        started = await asyncio.gather(*(start_delivery(
            self.client, self.task_queue, event.org_slug, DeliveryInput(row.id, event.id, row.endpoint_id))
            for row in pending))
        count = sum(handle is not None for handle in started)
        log.info("webhook event published", org=event.org_slug, type=event.type, event_id=event.id, started=count)
        return count


async def record(session: AsyncSession, event: Event) -> list:
    """The event and its pending deliveries, in the caller's session (an activity that writes anyway
    spares a connection checkout, bench/); Publisher.deliver starts them."""
    return list((await session.exec(_PUBLISH, params={
        "org_id": event.org_id, "type": event.type, "event_id": event.id,
        "payload": json.dumps(event.data), "occurred_at": event.occurred_at})).all())


async def start_delivery(client: Client, task_queue: str, org_slug: str, delivery: DeliveryInput,
                         replay: int | None = None):
    """Start a delivery's run under its deterministic id; None when that id has one already."""
    return await start_once(
        client, DELIVERY_WORKFLOW, delivery, DeliveryResult,
        delivery_workflow_id(delivery.endpoint_id, delivery.event_id, replay), task_queue,
        f"Webhook {delivery.event_id} to endpoint {delivery.endpoint_id} ({org_slug})",
        [SearchAttributePair(sa.ORGANISATION, org_slug)],
    )
