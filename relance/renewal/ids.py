"""The renewal domain's Temporal names: one notice per contract and term, one inspection schedule per organisation."""

from datetime import date

NOTICE_WORKFLOW = "RenewalNoticeWorkflow"


def renewal_workflow_id(org_slug: str, contract_ref: str, term_end: date) -> str:
    """One notice per contract and term: the term's end date is part of the id."""
    return f"renewal:{org_slug}:{contract_ref}:{term_end.isoformat()}"


def renewal_schedule_id(org_slug: str) -> str:
    return f"renewal-inspection:{org_slug}"
