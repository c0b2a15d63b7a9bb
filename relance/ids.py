"""Deterministic workflow ids: starting the same automation twice starts it once (SPEC rule 3)."""

from datetime import date


def dunning_workflow_id(org_slug: str, invoice_number: str) -> str:
    return f"dunning:{org_slug}:{invoice_number}"


def sweep_schedule_id(org_slug: str) -> str:
    return f"dunning-sweep:{org_slug}"


def renewal_workflow_id(org_slug: str, contract_ref: str, term_end: date) -> str:
    """One notice per contract and term: the term's end date is part of the id."""
    return f"renewal:{org_slug}:{contract_ref}:{term_end.isoformat()}"


def renewal_schedule_id(org_slug: str) -> str:
    return f"renewal-inspection:{org_slug}"


def email_queue(task_queue: str) -> str:
    """The task queue of the activities that call SES, rate-limited to the SES quota."""
    return f"{task_queue}-email"
