"""Calls from the host application (the HTTP API) and the CLI into webhooks: an organisation's
endpoints and their deliveries. Everything is confined to the organisation named: another
organisation's endpoint or delivery is "not found", never shown or touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from relance import calendar, repository
from relance.db import Database
from relance.outbound import Allowlist
from relance.sealing import Sealer
from relance.temporal.queues import webhook_queue
from relance.webhooks.errors import EndpointExists, ReplayRefused
from relance.webhooks.publishing import start_delivery
from relance.webhooks.types import DeliveryInput
from relance.webhooks.validation import validate_endpoint

__all__ = ["DeliveryView", "add_endpoint", "delivery_attempts", "list_deliveries", "list_endpoints",
           "remove_endpoint", "replay_delivery"]


@dataclass
class DeliveryView:
    """A delivery as a person reads it: which event, to which endpoint, how it went."""

    id: int
    event_id: str
    event_type: str
    occurred_at: datetime
    endpoint_id: int
    url: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    succeeded_at: datetime | None


async def add_endpoint(db: Database, org_slug: str, url: str, events: list[str] | None = None,
                       secret: str | None = None, allow: Allowlist = Allowlist(),
                       sealer: Sealer = Sealer()) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the given event types (None: all); returns it with its secret in clear
    (generated when none is given), which the caller shows once: it is stored sealed (relance.sealing).
    EndpointRejected names each field that is wrong; the URL must reach a public address, or an
    internal host `allow` admits (RELANCE_OUTBOUND_ALLOW)."""
    spec = await validate_endpoint(url, events, secret, allow)
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        twin = (await session.exec(select(WebhookEndpoint.id).where(
            WebhookEndpoint.org_id == org.id, WebhookEndpoint.url == spec.url, WebhookEndpoint.enabled))).first()
        if twin is not None:
            raise EndpointExists(twin, spec.url)
        endpoint = WebhookEndpoint(org_id=org.id, url=spec.url, secret=sealer.seal(spec.secret),
                                   event_types=spec.event_types, created_at=datetime.now(UTC))
        session.add(endpoint)
        await session.flush()
    return endpoint, spec.secret


async def list_endpoints(db: Database, org_slug: str) -> list[WebhookEndpoint]:
    """Every endpoint of the organisation, disabled ones too (a caller showing them hides the secret)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        return list((await session.exec(select(WebhookEndpoint).where(WebhookEndpoint.org_id == org.id)
                                        .order_by(WebhookEndpoint.id))).all())


async def registered_secrets(db: Database, host: str, port: int, sealer: Sealer = Sealer()) -> list[str]:
    """The secrets of the enabled endpoints, of any organisation, at http://host:port/: what the local
    receiver (`relance webhook listen`) verifies with."""
    async with db.session() as session:
        stored = (await session.exec(select(WebhookEndpoint.secret).where(
            col(WebhookEndpoint.url).startswith(f"http://{host}:{port}/"), WebhookEndpoint.enabled))).all()
    return [sealer.open(secret) for secret in stored]


async def remove_endpoint(db: Database, org_slug: str, endpoint_id: int) -> WebhookEndpoint:
    """Disable the endpoint: nothing more is sent to it, its deliveries stay listed."""
    async with db.session() as session:
        endpoint = await _endpoint(session, org_slug, endpoint_id)
        endpoint.enabled, endpoint.disabled_reason = False, "removed"
    return endpoint


async def list_deliveries(db: Database, org_slug: str, state: str | None = None,
                          limit: int = 100) -> list[DeliveryView]:
    """The organisation's latest deliveries, newest first; `state` keeps one (models.DeliveryState)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        query = _views().where(WebhookDelivery.org_id == org.id)
        if state is not None:
            query = query.where(WebhookDelivery.state == state)
        rows = (await session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit))).all()
    return [_view(*row) for row in rows]


async def delivery_attempts(db: Database, org_slug: str, delivery_id: int) -> list[WebhookAttempt]:
    """Every attempt of one delivery, oldest first: when, HTTP status, latency, error."""
    async with db.session() as session:
        await _delivery(session, org_slug, delivery_id)
        return list((await session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                        .order_by(WebhookAttempt.id))).all())


async def replay_delivery(client: Client, db: Database, task_queue: str, org_slug: str,
                          delivery_id: int) -> DeliveryView:
    """Send a failed delivery again: a new run with the same retries. Refused (ReplayRefused) when it
    succeeded, is still being tried, or its endpoint is disabled."""
    tz = await repository.zone(db, org_slug)
    async with db.session() as session:
        delivery, event, endpoint = await _delivery(session, org_slug, delivery_id)
        _check_replayable(delivery, endpoint, tz)
        delivery.state = DeliveryState.PENDING  # committed before the run starts: it may succeed at once
    try:
        handle = await start_delivery(client, webhook_queue(task_queue), org_slug,
                                      DeliveryInput(delivery.id, event.id, endpoint.id), replay=delivery.attempts)
    except BaseException:
        await _set_state(db, delivery.id, DeliveryState.FAILED)
        raise
    if handle is None:  # that replay was started already (two callers at once)
        raise ReplayRefused(f"webhook delivery {delivery_id} is being replayed already")
    return _view(delivery, event, endpoint)


def _check_replayable(delivery: WebhookDelivery, endpoint: WebhookEndpoint, tz: str) -> None:
    if delivery.state == DeliveryState.SUCCEEDED:
        raise ReplayRefused(f"webhook delivery {delivery.id} succeeded at {calendar.written(delivery.succeeded_at, tz)}"
                            ": it is not sent again")
    if delivery.state == DeliveryState.PENDING:
        raise ReplayRefused(f"webhook delivery {delivery.id} is still being tried ({delivery.attempts} attempt(s) "
                            "so far): replay it once it has failed")
    if not endpoint.enabled:
        raise ReplayRefused(f"webhook endpoint {endpoint.id} is disabled ({endpoint.disabled_reason}): "
                            "add the endpoint again to receive events")


async def _set_state(db: Database, delivery_id: int, state: str) -> None:
    async with db.session() as session:
        (await session.get(WebhookDelivery, delivery_id)).state = state


async def _endpoint(session: AsyncSession, org_slug: str, endpoint_id: int) -> WebhookEndpoint:
    org = await repository.organisation(session, org_slug)
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.org_id != org.id:
        raise repository.NotFound(f"webhook endpoint {endpoint_id} not found in organisation {org_slug!r}")
    return endpoint


async def _delivery(session: AsyncSession, org_slug: str,
                    delivery_id: int) -> tuple[WebhookDelivery, WebhookEvent, WebhookEndpoint]:
    org = await repository.organisation(session, org_slug)
    row = (await session.exec(_views().where(WebhookDelivery.id == delivery_id,
                                             WebhookDelivery.org_id == org.id))).first()
    if row is None:
        raise repository.NotFound(f"webhook delivery {delivery_id} not found in organisation {org_slug!r}")
    return row


def _views():
    return (select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id))


def _view(delivery: WebhookDelivery, event: WebhookEvent, endpoint: WebhookEndpoint) -> DeliveryView:
    return DeliveryView(delivery.id, event.id, event.type, event.occurred_at, endpoint.id, endpoint.url,
                        delivery.state, delivery.attempts, delivery.last_status, delivery.last_error,
                        delivery.last_attempt_at, delivery.succeeded_at)
