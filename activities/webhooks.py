"""The I/O of a webhook delivery: one signed POST per attempt, each attempt recorded; giving up.

Every attempt writes its row and the delivery's counters in one statement; a 2xx marks the delivery
succeeded once (a later attempt or a replay of a succeeded delivery posts nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import text
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from models import DeliveryState
from relance.db import Database
from relance.outbound import Allowlist, post
from relance.sealing import Sealer
from relance.webhooks import signing
from relance.webhooks.types import DeliveryInput, GiveUpInput

log = structlog.get_logger("relance.webhooks")

_TARGET = text("""
SELECT d.state, d.org_id, e.id AS endpoint_id, e.url, e.secret, e.enabled, e.disabled_reason,
       v.type, v.payload, v.occurred_at, o.timezone
FROM webhookdelivery d JOIN webhookendpoint e ON e.id = d.endpoint_id JOIN webhookevent v ON v.id = d.event_id
JOIN organisation o ON o.id = d.org_id
WHERE d.id = :delivery_id
""")
_ATTEMPTED = text(f"""
WITH attempt AS (
    INSERT INTO webhookattempt (delivery_id, at, status, latency_ms, error)
    VALUES (:delivery_id, :at, :status, :latency_ms, :error)
)
UPDATE webhookdelivery SET attempts = attempts + 1, last_status = :status, last_error = :error,
    last_attempt_at = :at,
    state = CASE WHEN :succeeded THEN '{DeliveryState.SUCCEEDED}' ELSE state END,
    succeeded_at = CASE WHEN :succeeded THEN coalesce(succeeded_at, :at) ELSE succeeded_at END
WHERE id = :delivery_id
""")
_GONE = text("UPDATE webhookendpoint SET enabled = false, disabled_reason = :reason WHERE id = :endpoint_id")
_GIVE_UP = text(f"""
UPDATE webhookdelivery SET state = '{DeliveryState.FAILED}', last_error = coalesce(:detail, last_error)
WHERE id = :delivery_id AND state = '{DeliveryState.PENDING}'
""")


class WebhookActivities:
    def __init__(self, db: Database, allow: Allowlist, sealer: Sealer):
        self.db = db
        self.allow = allow  # the internal hosts the operator admits (RELANCE_OUTBOUND_ALLOW)
        self.sealer = sealer  # opens the endpoints' secrets (RELANCE_CODEC_KEYS)

    @activity.defn
    async def attempt_delivery(self, inp: DeliveryInput) -> int | None:
        """POST the signed event once: the status on a 2xx (None when an earlier attempt succeeded);
        raises otherwise, and the workflow's retry policy tries again later."""
        async with self.db.autocommit() as session:
            target = (await session.exec(_TARGET, params={"delivery_id": inp.delivery_id})).one()
        if target.state == DeliveryState.SUCCEEDED:
            return None
        if not target.enabled:
            raise ApplicationError(f"endpoint {target.endpoint_id} is disabled ({target.disabled_reason})",
                                   type="EndpointDisabled", non_retryable=True)
        payload = signing.body(target.type, target.occurred_at, target.payload, target.timezone)
        # The wall clock: when the POST went out, as the receiver's clock sees it (its signature's time).
        sent_at = datetime.now(UTC)
        # Through relance.outbound: a public address (or one the operator admits) at connection time,
        # no redirect, and of the answer only its status: the tenant reads nothing of its body.
        signed = signing.headers(self.sealer.open(target.secret), inp.event_id, payload, sent_at)
        answer = await post(target.url, payload, signed, self.allow)
        status, succeeded = answer.status, answer.succeeded
        async with self.db.autocommit() as session:
            await session.exec(_ATTEMPTED, params={
                "delivery_id": inp.delivery_id, "at": sent_at, "status": status,
                "latency_ms": answer.latency_ms, "error": answer.reason, "succeeded": succeeded})
            if status == 410:  # Standard Webhooks: Gone means "stop sending"
                await session.exec(_GONE, params={"endpoint_id": target.endpoint_id,
                                                  "reason": "the endpoint answered 410 Gone"})
        log.info("webhook attempt", delivery_id=inp.delivery_id, event_id=inp.event_id,
                 endpoint_id=inp.endpoint_id, status=status, latency_ms=answer.latency_ms,
                 attempt=activity.info().attempt)
        if succeeded:
            return status
        if status == 410:
            raise ApplicationError(f"endpoint {target.endpoint_id} answered 410 Gone: disabled",
                                   type="EndpointGone", non_retryable=True)
        # Benign: an endpoint down is expected, logged once per attempt above, not as a traceback.
        raise ApplicationError(answer.reason, type="DeliveryFailed", category=ApplicationErrorCategory.BENIGN)

    @activity.defn
    async def give_up(self, inp: GiveUpInput) -> None:
        """No 2xx in time (or the endpoint is gone): the delivery is failed, listed, and can be replayed."""
        async with self.db.autocommit() as session:
            await session.exec(_GIVE_UP, params={"delivery_id": inp.delivery_id, "detail": inp.detail})
        log.warning("webhook delivery failed", delivery_id=inp.delivery_id, detail=inp.detail)

