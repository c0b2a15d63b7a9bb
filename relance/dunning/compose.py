"""A reminder's email: the invoice's merge fields and recipient, through the shared composition."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import ScenarioStep
from relance import calendar
from relance.dunning import repository, rules
from relance.email.compose import Composition, compose, sender_for
from relance.email.mailer import SesMailer
from relance.email.recipient import Recipient
from relance.email.rendering import MergeData


def invoice_merge_data(file: repository.InvoiceFile, recipient: Recipient, now: datetime) -> MergeData:
    org, invoice = file.org, file.invoice
    return MergeData(
        locale=org.locale, currency=org.currency, today=calendar.local_today(now, org.timezone),
        civility=recipient.civility, name=recipient.name, number=invoice.number,
        amount_incl_tax=invoice.amount_incl_tax, amount_excl_tax=invoice.amount_excl_tax,
        invoice_date=invoice.invoice_date, due_date=invoice.due_date, amount_due=file.amount_due,
    )


async def compose_for_invoice(session: AsyncSession, mailer: SesMailer, file: repository.InvoiceFile,
                              step: ScenarioStep, now: datetime) -> Composition:
    recipient = rules.pick_recipient(file.invoice, file.account, file.contacts)
    sender = await sender_for(session, file.org, step, file.invoice.creator_user_id)
    merge = invoice_merge_data(file, recipient, now) if recipient else None
    return await compose(session, mailer, file.org, step, sender, recipient.email if recipient else None, merge)
