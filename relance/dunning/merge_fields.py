"""The merge fields of a reminder (seeds 001 and 002): the invoice's, in the organisation's locale."""

from __future__ import annotations

from datetime import datetime

from relance import calendar
from relance.dunning.repository import InvoiceFile
from relance.email import merge
from relance.email.recipient import Recipient
from relance.email.rendering import day, money

FIELDS = {
    **merge.FIELDS,
    "Number": "invoice number",
    "AmountTtc": "amount including tax",
    "Amount": "amount excluding tax",
    "InvoiceDate": "invoice date",
    "DueDate": "due date",
    "AmountDue": "amount still due (after partial payments)",
}


def values(file: InvoiceFile, recipient: Recipient | None, now: datetime) -> dict[str, str]:
    org, invoice = file.org, file.invoice
    return {
        **merge.values(recipient, calendar.local_today(now, org.timezone), org.locale),
        "Number": invoice.number,
        "AmountTtc": money(invoice.amount_incl_tax, org.currency, org.locale),
        "Amount": money(invoice.amount_excl_tax, org.currency, org.locale),
        "InvoiceDate": day(invoice.invoice_date, org.locale),
        "DueDate": day(invoice.due_date, org.locale),
        "AmountDue": money(file.amount_due, org.currency, org.locale),
    }
