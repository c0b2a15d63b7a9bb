"""The dunning domain's Temporal names: deterministic ids, so starting the same run twice starts it once."""

RUN_WORKFLOW = "InvoiceDunningWorkflow"


def dunning_workflow_id(org_slug: str, invoice_number: str) -> str:
    return f"dunning:{org_slug}:{invoice_number}"


def sweep_schedule_id(org_slug: str) -> str:
    return f"dunning-sweep:{org_slug}"


def import_sweep_id(org_slug: str) -> str:
    """The sweep an import (or the API's import) runs to start the runs of its invoices."""
    return f"dunning-sweep-import:{org_slug}"


CUSTOMER_WORKFLOW = "CustomerDunningWorkflow"


def customer_workflow_id(org_slug: str, account_ref: str) -> str:
    """The account's one-email-a-day workflow (workflows/dunning_customer.py)."""
    return f"dunning-customer:{org_slug}:{account_ref}"
