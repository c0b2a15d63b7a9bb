"""Who an email goes to, as the domains pick them (a contact, an account's own address, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from models import Contact


@dataclass
class Recipient:
    email: str
    civility: str
    name: str
    source: str  # invoice_contact | billing_contact | decision_maker | account | contract_billing_contact


def recipient_from(contact: Contact, source: str) -> Recipient:
    name = f"{contact.first_name} {contact.last_name}".strip()
    return Recipient(contact.email or "", contact.civility, name, source)
