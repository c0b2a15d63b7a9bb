"""The business rules of seeds 001 and 002 as pure functions: when a run exits, who receives."""

from __future__ import annotations

from decimal import Decimal

from models import Account, Contact, Invoice, InvoiceStatus, Organisation
from relance.dunning.types import ExitReason, SkipReason
from relance.email.recipient import Recipient, recipient_from


def amount_due(invoice: Invoice, paid: Decimal) -> Decimal:
    """What is still owed: a partial payment keeps the invoice in the scenario with this amount."""
    return invoice.amount_incl_tax - paid


def exit_reason(invoice: Invoice, due: Decimal) -> ExitReason | None:
    """Checked before every step; None means the invoice is still to be chased."""
    if invoice.status == InvoiceStatus.CANCELLED:
        return ExitReason.INVOICE_CANCELLED
    if invoice.status == InvoiceStatus.PAID or due <= 0:
        return ExitReason.PAID
    if invoice.status == InvoiceStatus.IN_PAYMENT:
        return ExitReason.IN_PAYMENT
    if invoice.has_payment_schedule:
        return ExitReason.PAYMENT_SCHEDULE
    if invoice.do_not_remind:
        return ExitReason.DO_NOT_REMIND
    return None


def hold_reason(org: Organisation, account: Account) -> str | None:
    """Why a step waits instead of going (retried daily, and at once when it is lifted); None: it may go."""
    if not org.dunning_enabled:
        return "dunning switched off"
    if account.dunning_excluded is not None:
        return f"customer excluded from dunning ({account.dunning_excluded})"
    return None


def below_minimum(due: Decimal, currency: str, minimums: dict[str, str]) -> str | None:
    """The skip reason when the amount due is under the organisation's minimum for its currency."""
    minimum = minimums.get(currency)
    if minimum is None or due >= Decimal(minimum):
        return None
    return f"{SkipReason.BELOW_MINIMUM}: {due} {currency} due, under the minimum of {minimum} {currency}"


def recipient_chain(account: Account, contacts: list[Contact]) -> list[str]:
    """Every address pick_recipient may choose, for the suppression check."""
    return [address for address in (*(c.email for c in contacts), account.email) if address]


def pick_recipient(invoice: Invoice, account: Account, contacts: list[Contact],
                   suppressed: set[str] = frozenset()) -> Recipient | None:
    """The contact on the invoice; else the account's billing contact; else its decision maker; else
    the account's own address. Contacts without an address are skipped, and so are suppressed ones
    (a hard bounce, a complaint): the reminder goes to the next address of the chain."""
    ordered = sorted(contacts, key=lambda c: c.id or 0)
    candidates = [
        *(recipient_from(c, "invoice_contact") for c in ordered if c.id == invoice.contact_id),
        *(recipient_from(c, "billing_contact") for c in ordered if c.is_billing),
        *(recipient_from(c, "decision_maker") for c in ordered if c.is_decision_maker),
    ]
    for candidate in candidates:
        if candidate.email and candidate.email.lower() not in suppressed:
            return candidate
    if account.email and account.email.lower() not in suppressed:
        return Recipient(account.email, "", account.name, "account")
    return None
