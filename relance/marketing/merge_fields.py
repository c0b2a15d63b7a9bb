"""The merge fields of a marketing email: the contact's and its account's, in the organisation's locale,
and the opportunity's when a pipeline automation enrolled the contact (its values, as they were at
enrolment, travel with the enrolment; empty otherwise)."""

from __future__ import annotations

from datetime import datetime

from relance import calendar
from relance.email import merge
from relance.email.recipient import recipient_from
from relance.marketing.repository import ContactFile

# What an enrolling pipeline automation passes (relance.marketing.public); the pipeline fills them in.
OPPORTUNITY_FIELDS = {
    "OpportunityRef": "the opportunity's reference",
    "OpportunityName": "the opportunity's name",
    "Stage": "the opportunity's stage",
    "Result": "open, won, lost or dormant",
    "Amount": "the opportunity's amount, in the organisation's currency",
    "AssignedToName": "the name of the salesperson ([[!AssignedToId]])",
}

FIELDS = {
    **merge.FIELDS,
    **{name: f"{text} (when a pipeline automation enrolled the contact; else empty)"
       for name, text in OPPORTUNITY_FIELDS.items()},
    "FirstName": "the contact's first name",
    "LastName": "the contact's last name",
    "Email": "the contact's email address",
    "AccountName": "the name of the contact's account (company)",
    "UnsubscribeUrl": "the contact's unsubscribe link (every marketing email also ends with it)",
}


def values(file: ContactFile, now: datetime, unsubscribe_url: str,
           opportunity: dict[str, str] | None = None) -> dict[str, str]:
    org, contact = file.org, file.contact
    return {
        **dict.fromkeys(OPPORTUNITY_FIELDS, ""),
        **{name: value for name, value in (opportunity or {}).items() if name in OPPORTUNITY_FIELDS},
        **merge.values(recipient_from(contact, "contact"), calendar.local_today(now, org.timezone), org.locale),
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "Email": contact.email or "",
        "AccountName": file.account.name if file.account else "",
        "UnsubscribeUrl": unsubscribe_url,
    }
