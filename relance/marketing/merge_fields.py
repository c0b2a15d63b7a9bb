"""The merge fields of a marketing email: the contact's and its account's, in the organisation's locale.

When the pipeline automations enrol a contact for an opportunity, its fields join FIELDS and values()
here (the enrolment then carries the opportunity's reference)."""

from __future__ import annotations

from datetime import datetime

from relance import calendar
from relance.email import merge
from relance.email.recipient import recipient_from
from relance.marketing.repository import ContactFile

FIELDS = {
    **merge.FIELDS,
    "FirstName": "the contact's first name",
    "LastName": "the contact's last name",
    "Email": "the contact's email address",
    "AccountName": "the name of the contact's account (company)",
    "UnsubscribeUrl": "the contact's unsubscribe link (every marketing email also ends with it)",
}


def values(file: ContactFile, now: datetime, unsubscribe_url: str) -> dict[str, str]:
    org, contact = file.org, file.contact
    return {
        **merge.values(recipient_from(contact, "contact"), calendar.local_today(now, org.timezone), org.locale),
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "Email": contact.email or "",
        "AccountName": file.account.name if file.account else "",
        "UnsubscribeUrl": unsubscribe_url,
    }
