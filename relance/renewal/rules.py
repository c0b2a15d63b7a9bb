"""The business rules of seed 000 as pure functions: who receives a renewal notice."""

from __future__ import annotations

from models import Contact
from relance.email.recipient import Recipient, recipient_from


def contract_recipient(billing_contact: Contact | None) -> Recipient | None:
    """Seed 000: the notice goes to the billing contact set on the contract, and to no one else."""
    if billing_contact is None or not billing_contact.email:
        return None
    return recipient_from(billing_contact, "contract_billing_contact")
