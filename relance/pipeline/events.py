"""What the pipeline tells the host application (webhooks): an automation that failed for good, and the
effects the host's agenda and feed show (an action created, a notification posted, a tag added)."""

from __future__ import annotations

from relance.pipeline.types import AutomationInput, AutomationOutcome, AutomationState, FailureInput
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


_EFFECTS = {"create_action": (events.ACTION_CREATED, ("type", "title", "assignee", "due_in_days")),
            "notify": (events.NOTIFICATION_POSTED, ("text",)),
            "add_tag": (events.TAG_ADDED, ("tag",))}


def effect(org_id: int, inp: AutomationInput, spec: dict, outcome: AutomationOutcome) -> Event | None:
    """The event of an automation done that changed the opportunity; None for the others (an email, an
    enrolment, one not done). Keyed by the automation's idempotency key: told once."""
    a = inp.automation
    if outcome.state != AutomationState.DONE or a.kind not in _EFFECTS:
        return None
    type_, fields = _EFFECTS[a.kind]
    data = {"organisation": inp.org_slug, "opportunity": inp.opportunity_ref, "event_id": a.event_id,
            "rule": a.rule_key, "rule_version": a.rule_version, "automation": {"number": a.position + 1,
                                                                              "kind": a.kind},
            **{name: spec.get(name) for name in fields}, "detail": outcome.detail}
    return Event(org_id, inp.org_slug, type_, f"{type_}:{a.idem_key}", data, inp.now)
