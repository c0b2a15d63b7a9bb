"""The merge fields of an email an automation sends: the opportunity's, in the organisation's locale."""

from __future__ import annotations

from datetime import datetime

from relance import calendar
from relance.email import merge
from relance.email.recipient import Recipient
from relance.email.rendering import money
from relance.marketing.public import OPPORTUNITY_FIELDS
from relance.pipeline.repository import OpportunityFile

# The opportunity's own fields are the ones marketing takes from an enrolling automation.
FIELDS = {
    **merge.FIELDS,
    **OPPORTUNITY_FIELDS,
    "AccountName": "the name of the opportunity's account (company)",
    "ContactName": "the name of the opportunity's contact",
    "DocumentUrl": "the download link of the automation's document",
}


def values(file: OpportunityFile, recipient: Recipient, now: datetime, document_url: str | None) -> dict[str, str]:
    org, contact = file.org, file.contact
    return {
        **merge.values(recipient, calendar.local_today(now, org.timezone), org.locale),
        **opportunity_values(file),
        "AccountName": file.account.name if file.account else "",
        "ContactName": f"{contact.first_name} {contact.last_name}".strip() if contact else "",
        "DocumentUrl": document_url or "",
    }


def opportunity_values(file: OpportunityFile) -> dict[str, str]:
    """The opportunity's own fields (OPPORTUNITY_FIELDS): also what an enrolment in marketing carries."""
    org, opp = file.org, file.opportunity
    return {
        "OpportunityRef": opp.ref,
        "OpportunityName": opp.name or opp.ref,
        "Stage": opp.stage_key,
        "Result": opp.result,
        "Amount": money(opp.amount, org.currency, org.locale) if opp.amount is not None else "",
        "AssignedToName": file.assigned.full_name if file.assigned else "",
    }
