"""Deterministic names: an event's id from what happened, a delivery's workflow id from the event and
the endpoint, so publishing twice records and starts everything once."""

import hashlib

DELIVERY_WORKFLOW = "WebhookDeliveryWorkflow"


def event_id(key: str) -> str:
    """`msg_` and 32 hex digits of the key's hash: the same key (a step's idempotency key, a run's
    id) is the same event, and nothing of the key (organisation, invoice) shows in the header."""
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def delivery_workflow_id(endpoint_id: int, event: str, replay: int | None = None) -> str:
    """The first run of a delivery, or its replay number `replay` (each replay is a new run)."""
    base = f"webhook:{endpoint_id}:{event}"
    return base if replay is None else f"{base}:replay-{replay}"
