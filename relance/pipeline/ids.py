"""The pipeline domain's Temporal names: one entity workflow per opportunity."""

OPPORTUNITY_WORKFLOW = "OpportunityWorkflow"


def opportunity_workflow_id(org_slug: str, opportunity_ref: str) -> str:
    return f"opportunity:{org_slug}:{opportunity_ref}"


def automation_key(rule_id: int, event_id: str, position: int) -> str:
    """The idempotency key of one automation's side effect: rule version (its row id), event, position."""
    return f"pipeline:{rule_id}:{event_id}:{position}"


HOST_CALL_WORKFLOW = "HostCallWorkflow"


def host_call_workflow_id(idem_key: str) -> str:
    """One run per call_host automation (its idempotency key): started twice, it runs once."""
    return f"host-call:{idem_key}"
