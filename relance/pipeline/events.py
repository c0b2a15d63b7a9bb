"""What the pipeline tells the host application (webhooks): an automation that failed for good."""

from __future__ import annotations

from relance.pipeline.types import FailureInput
from relance.webhooks import events
from relance.webhooks.publishing import Event


def automation_failed(inp: FailureInput, org_id: int) -> Event:
    a = inp.automation
    data = {"organisation": inp.org_slug, "opportunity": inp.opportunity_ref, "event_id": a.event_id,
            "rule": a.rule_key, "rule_version": a.rule_version, "position": a.position, "automation": a.kind,
            "idempotency_key": a.idem_key, "reason": inp.reason}
    # Keyed per failure: a retried automation that fails again tells the host again.
    key = f"automation.failed:{a.idem_key}:{inp.now.isoformat()}"
    return Event(org_id, inp.org_slug, events.AUTOMATION_FAILED, key, data, inp.now)
