"""Workflow ids and ledger keys of the agency domain: deterministic, so a start or a send happens once."""

DRAFTING_WORKFLOW = "AgencyDraftingWorkflow"
SEND_WORKFLOW = "AgencySendWorkflow"


def drafting_workflow_id(org_slug: str, agency_slug: str, day: str) -> str:
    return f"agency-drafting:{org_slug}:{agency_slug}:{day}"


def drafting_schedule_id(org_slug: str, agency_slug: str) -> str:
    return f"agency-drafting:{org_slug}:{agency_slug}"


def send_workflow_id(batch_id: str) -> str:
    return batch_id


def batch_id(org_slug: str, agency_slug: str, token: str) -> str:
    return f"agency-send:{org_slug}:{agency_slug}:{token}"


def draft_email_key(draft_id: int, batch: str) -> str:
    """Once per draft and send-all: a retry of the failed ones is another send-all (the draft's status,
    claimed by one send-all at a time, keeps it from going twice)."""
    return f"agency-draft:{draft_id}:{batch}"


def summary_email_key(org_slug: str, agency_slug: str, day: str, email: str) -> str:
    return f"agency-summary:{org_slug}:{agency_slug}:{day}:{email}"
