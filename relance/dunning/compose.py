"""A reminder's email: the invoice's recipient and merge fields, through the scenario step's composition."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import ScenarioStep
from relance.dunning import merge_fields, repository, rules
from relance.email.compose import Composition
from relance.email.mailer import SesMailer
from relance.email.suppression import suppressed
from relance.scenario.email import compose_step


async def compose_for_invoice(session: AsyncSession, mailer: SesMailer, file: repository.InvoiceFile,
                              step: ScenarioStep, now: datetime) -> Composition:
    blocked = await suppressed(session, rules.recipient_chain(file.account, file.contacts))
    recipient = rules.pick_recipient(file.invoice, file.account, file.contacts, blocked)
    no_recipient = ("every address of the invoice, its contacts and account is suppressed (hard bounce or "
                    "complaint)" if blocked else "no address on the invoice, its contacts or account")
    return await compose_step(session, mailer, file.org, step, recipient, merge_fields.values(file, recipient, now),
                              creator_user_id=file.invoice.creator_user_id, no_recipient=no_recipient)
