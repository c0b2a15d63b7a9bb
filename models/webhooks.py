"""Signed webhooks: an organisation's endpoints, the events relance publishes, and their deliveries.

An event is recorded only when the organisation has an endpoint that wants it; each (event, endpoint)
has one delivery row (unique), so at most one success is ever recorded for it, and every HTTP attempt
is kept with its status, latency and error.
"""

from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from models.columns import recorded_at, timestamp


class DeliveryState:
    PENDING = "pending"  # being attempted (or waiting for its next try)
    SUCCEEDED = "succeeded"  # the endpoint answered 2xx once
    FAILED = "failed"  # never answered 2xx in 3 days (or 410 Gone): visible, and can be replayed


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhookendpoint"
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    url: str
    secret: str = Field(description="sealed:<key id>:<base64> (relance.sealing; whsec_<base64> as given without "
                                    "RELANCE_CODEC_KEYS): signs every request; shown once, never logged")
    event_types: list[str] | None = Field(
        default=None, sa_column=Column(ARRAY(String()), nullable=True), description="None: every event type")
    enabled: bool = True
    disabled_reason: str | None = None
    created_at: datetime = timestamp()


class WebhookEvent(SQLModel, table=True):
    """Its id derives from what happened (the step's idempotency key, the run's id), so an activity
    retried publishes it once."""

    __tablename__ = "webhookevent"
    id: str = Field(primary_key=True, max_length=64)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    type: str
    payload: dict = Field(sa_column=Column(JSONB, nullable=False))
    occurred_at: datetime = timestamp(description="business time (workflow time)")
    recorded_at: datetime | None = recorded_at()


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhookdelivery"
    __table_args__ = (UniqueConstraint("event_id", "endpoint_id"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    event_id: str = Field(foreign_key="webhookevent.id", max_length=64)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id", index=True)
    state: str = DeliveryState.PENDING
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = timestamp(nullable=True, default=None)
    succeeded_at: datetime | None = timestamp(nullable=True, default=None)
    created_at: datetime = timestamp(description="business time of the event")


class WebhookAttempt(SQLModel, table=True):
    """One POST: its HTTP status (None when no answer came), how long it took, what went wrong."""

    __tablename__ = "webhookattempt"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhookdelivery.id", index=True)
    at: datetime = timestamp(description="when the POST went out (wall clock, as the signature says)")
    status: int | None = None
    latency_ms: int
    error: str | None = None
