"""Deterministic workflow ids: starting the same automation twice starts it once (SPEC rule 3)."""


def dunning_workflow_id(org_slug: str, invoice_number: str) -> str:
    return f"dunning:{org_slug}:{invoice_number}"


def sweep_schedule_id(org_slug: str) -> str:
    return f"dunning-sweep:{org_slug}"
