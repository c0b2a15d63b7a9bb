"""Standard Webhooks signing (https://www.standardwebhooks.com): the body relance POSTs and its
webhook-id / webhook-timestamp / webhook-signature headers, with the `standardwebhooks` package."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from relance import calendar

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def body(event_type: str, occurred_at: datetime, data: dict, timezone: str = "UTC") -> bytes:
    """The same bytes on every attempt (sorted keys), so a receiver may compare retries; the time with
    the organisation's offset, as the API and the CLI give it."""
    document = {"type": event_type, "timestamp": calendar.iso(occurred_at, timezone), "data": data}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def headers(secret: str, message_id: str, payload: bytes, sent_at: datetime) -> dict[str, str]:
    """Signed at `sent_at` (the wall clock of the attempt: receivers refuse timestamps 5 minutes off)."""
    sent_at = sent_at.astimezone(UTC)
    signature = Webhook(secret).sign(message_id, sent_at, payload.decode())
    return {"webhook-id": message_id, "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}


def verify(secret: str, payload: bytes, received: dict[str, str]) -> dict:
    """The parsed body when the signature is the secret's and the timestamp recent; raises
    standardwebhooks' WebhookVerificationError otherwise."""
    return Webhook(secret).verify(payload, received)
