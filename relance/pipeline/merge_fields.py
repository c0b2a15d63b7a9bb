"""The merge fields of an email an automation sends: the opportunity's, in the organisation's locale."""

from __future__ import annotations

from datetime import datetime

from relance import calendar
from relance.email import merge
from relance.email.recipient import Recipient
from relance.email.rendering import money
from relance.pipeline.repository import OpportunityFile

FIELDS = {
    **merge.FIELDS,
    "OpportunityRef": "the opportunity's reference",
    "OpportunityName": "the opportunity's name",
    "Stage": "the opportunity's stage",
    "Result": "open, won, lost or dormant",
    "Amount": "the opportunity's amount, in the organisation's currency",
    "AccountName": "the name of the opportunity's account (company)",
    "ContactName": "the name of the opportunity's contact",
    "AssignedToName": "the name of the salesperson ([[!AssignedToId]])",
    "DocumentUrl": "the download link of the automation's document",
}


def values(file: OpportunityFile, recipient: Recipient, now: datetime, document_url: str | None) -> dict[str, str]:
    org, opp, contact = file.org, file.opportunity, file.contact
    return {
        **merge.values(recipient, calendar.local_today(now, org.timezone), org.locale),
        "OpportunityRef": opp.ref,
        "OpportunityName": opp.name or opp.ref,
        "Stage": opp.stage_key,
        "Result": opp.result,
        "Amount": money(opp.amount, org.currency, org.locale) if opp.amount is not None else "",
        "AccountName": file.account.name if file.account else "",
        "ContactName": f"{contact.first_name} {contact.last_name}".strip() if contact else "",
        "AssignedToName": file.assigned.full_name if file.assigned else "",
        "DocumentUrl": document_url or "",
    }
