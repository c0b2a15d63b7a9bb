"""Webhook endpoints and deliveries: register where relance tells the host what happened, see every
delivery and its attempts, replay one that never succeeded. The same functions as `relance webhook …`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from models import WebhookEndpoint
from relance.api.auth import organisation
from relance.api.contract import ContractRoute, RowId, StrictBody, links
from relance.api.idempotency import shown_once
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.outbound import Allowlist
from relance.sealing import Sealer
from relance.webhooks.errors import EndpointExists, EndpointRejected, ReplayRefused
from relance.webhooks.events import EVENT_TYPES
from starter import webhooks
from starter.webhooks import DeliveryView

router = APIRouter(prefix="/v1", tags=["webhooks"], responses=documented(401, 403, 404, 413, 422, 503),
                   route_class=ContractRoute)
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
RowIdPath = Annotated[RowId, Path()]


class EndpointBody(StrictBody):
    url: str = Field(max_length=2000, description="http(s) URL that receives the signed POSTs")
    events: list[EventType] | None = Field(default=None, description="event types; null: all of them")
    secret: str | None = Field(default=None, max_length=200,
                               description="whsec_<base64>; generated when left out")


class EndpointOut(BaseModel):
    id: int
    url: str
    events: list[str] | None
    enabled: bool
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> EndpointOut:
        return cls(id=endpoint.id, url=endpoint.url, events=endpoint.event_types, enabled=endpoint.enabled,
                   disabled_reason=endpoint.disabled_reason, created_at=endpoint.created_at)


class NewEndpointOut(EndpointOut):
    secret: str = Field(description="shown once: verify each request's webhook-signature with it")


@router.post("/webhook-endpoints", response_model=NewEndpointOut, status_code=201, responses={201: links(
    Disable=("delete", "/v1/webhook-endpoints/{endpoint_id}", {"endpoint_id": "$response.body#/id"}),
    List=("get", "/v1/webhook-endpoints", {}))})
async def post_endpoint(body: EndpointBody, response: Response, org: str = Depends(organisation),
                        svc: Services = Depends(services)) -> NewEndpointOut:
    """Register an endpoint; its secret is in this answer only (a retry with the same Idempotency-Key
    answers 409: the secret is not kept to be shown again)."""
    try:
        endpoint, secret = await webhooks.add_endpoint(
            svc.db, org, body.url, body.events, body.secret, Allowlist.parse(svc.settings.outbound_allow),
            Sealer(svc.settings.codec_keys))
    except EndpointRejected as exc:
        raise ProblemError(422, str(exc), [f"{name}: {what}" for name, what in exc.problems.items()]) from exc
    except EndpointExists as exc:
        raise ProblemError(409, str(exc), [f"url: already endpoint {exc.endpoint_id}"]) from exc
    shown_once(response)
    return NewEndpointOut(**EndpointOut.of(endpoint).model_dump(), secret=secret)


@router.get("/webhook-endpoints", response_model=list[EndpointOut])
async def get_endpoints(org: str = Depends(organisation), svc: Services = Depends(services)) -> list[EndpointOut]:
    return [EndpointOut.of(e) for e in await webhooks.list_endpoints(svc.db, org)]


@router.delete("/webhook-endpoints/{endpoint_id}", response_model=EndpointOut)
async def delete_endpoint(endpoint_id: RowIdPath, org: str = Depends(organisation),
                          svc: Services = Depends(services)) -> EndpointOut:
    """Disable the endpoint: nothing more goes to it; its deliveries stay listed."""
    return EndpointOut.of(await webhooks.remove_endpoint(svc.db, org, endpoint_id))


@router.get("/webhook-deliveries", response_model=list[DeliveryView])
async def get_deliveries(state: Literal["pending", "succeeded", "failed"] | None = Query(None),
                         limit: int = Query(100, ge=1, le=1000), org: str = Depends(organisation),
                         svc: Services = Depends(services)) -> list[DeliveryView]:
    """The latest deliveries, newest first (`state=failed`: those that never succeeded)."""
    return await webhooks.list_deliveries(svc.db, org, state, limit)


class AttemptOut(BaseModel):
    at: datetime
    status: int | None = Field(description="HTTP status; null when no answer came")
    latency_ms: int
    error: str | None


@router.get("/webhook-deliveries/{delivery_id}/attempts", response_model=list[AttemptOut])
async def get_attempts(delivery_id: RowIdPath, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> list[AttemptOut]:
    attempts = await webhooks.delivery_attempts(svc.db, org, delivery_id)
    return [AttemptOut(at=a.at, status=a.status, latency_ms=a.latency_ms, error=a.error) for a in attempts]


@router.post("/webhook-deliveries/{delivery_id}/replay", response_model=DeliveryView, status_code=202,
             responses=documented(409))
async def replay(delivery_id: RowIdPath, org: str = Depends(organisation),
                 svc: Services = Depends(services)) -> DeliveryView:
    """Send a delivery that never succeeded again, with the same retries; refused once it succeeded."""
    try:
        view = await webhooks.replay_delivery(await svc.client(), svc.db, svc.settings.task_queue, org, delivery_id)
    except ReplayRefused as exc:
        raise ProblemError(409, str(exc)) from exc
    return view
