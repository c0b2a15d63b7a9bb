"""Who an email goes to, as the domains pick them (a contact, an account's own address, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from models import Contact


@dataclass
class Recipient:
    email: str
    civility: str
    name: str
    source: str  # where the domain found the address (which contact, an account, a user, ...)


def recipient_from(contact: Contact, source: str) -> Recipient:
    name = f"{contact.first_name} {contact.last_name}".strip()
    return Recipient(contact.email or "", contact.civility, name, source)
