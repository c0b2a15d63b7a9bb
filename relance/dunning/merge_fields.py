"""The merge fields of a reminder (seeds 001 and 002): the invoice's, in the reader's locale (the
customer's language, else the organisation's locale)."""

from __future__ import annotations

from datetime import datetime

from relance import calendar
from relance.dunning import formal_notice
from relance.dunning.repository import InvoiceFile
from relance.email import merge
from relance.email.languages import locale_of
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
    "PaymentUrl": "the host's page to pay the invoice (empty when it has none)",
    "DaysLate": "days since the due date (0 before it)",
    "RecoveryIndemnity": "the fixed recovery indemnity, 40 € (Code de commerce L441-10)",
    "LateInterestRate": "the organisation's yearly late-payment interest rate (empty when it has none)",
    "LateInterest": "late-payment interest on the amount due over the days late, at that rate",
}


def values(file: InvoiceFile, recipient: Recipient | None, now: datetime) -> dict[str, str]:
    org, invoice = file.org, file.invoice
    locale = locale_of(file.account.language, org.locale) if file.account.language else org.locale
    today = calendar.local_today(now, org.timezone)
    late = formal_notice.days_late(invoice.due_date, today)
    rate = org.late_interest_rate
    return {
        **merge.values(recipient, today, locale),
        "Number": invoice.number,
        "AmountTtc": money(invoice.amount_incl_tax, org.currency, locale),
        "Amount": money(invoice.amount_excl_tax, org.currency, locale),
        "InvoiceDate": day(invoice.invoice_date, locale),
        "DueDate": day(invoice.due_date, locale),
        "AmountDue": money(file.amount_due, org.currency, locale),
        "PaymentUrl": invoice.payment_url or "",
        "DaysLate": str(late),
        "RecoveryIndemnity": money(formal_notice.RECOVERY_INDEMNITY, formal_notice.RECOVERY_INDEMNITY_CURRENCY,
                                   locale),
        "LateInterestRate": formal_notice.rate(rate, locale) if rate is not None else "",
        "LateInterest": money(formal_notice.late_interest(file.amount_due, rate, late), org.currency, locale)
        if rate is not None else "",
    }
