"""A reminder's email: the invoice's recipient and merge fields, through the scenario step's composition,
in the customer's language, with the account's copies and, when the step says so, the invoice's documents."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import ScenarioStep
from relance.documents import library
from relance.documents.storage import DocumentStore
from relance.dunning import merge_fields, repository, rules
from relance.email.compose import Composition, NotSentReason
from relance.email.mailer import SesMailer
from relance.email.suppression import suppressed
from relance.scenario.email import compose_step


async def compose_for_invoice(session: AsyncSession, mailer: SesMailer, file: repository.InvoiceFile,
                              step: ScenarioStep, now: datetime, store: DocumentStore | None = None) -> Composition:
    """`store`: where the invoice's documents are (None: nothing attached, as in a preview)."""
    account = file.account
    blocked = await suppressed(session, [*rules.recipient_chain(account, file.contacts), *account.cc])
    recipient = rules.pick_recipient(file.invoice, account, file.contacts, blocked)
    no_recipient = ("every address of the invoice, its contacts and account is suppressed (hard bounce or "
                    "complaint)" if blocked else "no address on the invoice, its contacts or account")
    composition = await compose_step(session, mailer, file.org, step, recipient,
                                     merge_fields.values(file, recipient, now),
                                     creator_user_id=file.invoice.creator_user_id, no_recipient=no_recipient,
                                     language=account.language)
    email = composition.email
    if email is not None:
        email.cc = [a for a in account.cc if a.lower() not in blocked and a.lower() != email.to.lower()]
        if step.attach_invoice and store is not None:
            try:
                email.attachments = await library.attachments(store, await library.of_invoice(session,
                                                                                          file.invoice.id))
            except library.Unavailable as exc:
                return Composition(None, NotSentReason.ATTACHMENT_MISSING, str(exc)[:500], email.sender_address)
    return composition
