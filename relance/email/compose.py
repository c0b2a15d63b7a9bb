"""Compose a step's email: recipient, sender, rendered template. One code path for the dunning run,
the preview and the simulation, so what a user previews is what goes out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from models import AppUser, EmailTemplate, Organisation, ScenarioStep, SenderMode
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.email.rendering import MergeData, TemplateProblem, merge_values, render


class NotSentReason(StrEnum):
    """Why an email was not sent."""

    NO_RECIPIENT = "no_recipient"
    SENDER_NOT_VERIFIED = "sender_not_verified"
    TEMPLATE_ERROR = "template_error"
    DELIVERY_UNCERTAIN = "delivery_uncertain"  # a worker died between the claim and SES's answer: never resent


@dataclass
class Composition:
    """An email ready to go, or why there is none (reason, detail)."""

    email: OutgoingEmail | None
    reason: NotSentReason | None = None
    detail: str | None = None
    sender: str | None = None


async def sender_for(session: AsyncSession, org: Organisation, step: ScenarioStep,
                     creator_user_id: int | None) -> AppUser | None:
    """The step's sender, else the invoice's creator when the organisation says so, else its default."""
    if step.sender_user_id:
        return await session.get(AppUser, step.sender_user_id)
    if org.sender_mode == SenderMode.INVOICE_CREATOR and creator_user_id:
        return await session.get(AppUser, creator_user_id)
    if org.default_sender_user_id:
        return await session.get(AppUser, org.default_sender_user_id)
    return None


async def compose(session: AsyncSession, mailer: SesMailer, org: Organisation, step: ScenarioStep,
                  sender: AppUser | None, to: str | None, merge: MergeData | None) -> Composition:
    if to is None or merge is None:
        return Composition(None, NotSentReason.NO_RECIPIENT, "no address on the invoice, its contacts or account")
    if sender is None or not await mailer.is_verified(sender.email):
        detail = "no sender configured" if sender is None else f"{sender.email} is not a verified SES identity"
        return Composition(None, NotSentReason.SENDER_NOT_VERIFIED, detail, sender.email if sender else None)
    template = await session.get(EmailTemplate, step.template_id) if step.template_id else None
    try:
        if template is None:
            raise TemplateProblem([f"scenario step {step.position} ({step.label}): field template is empty"])
        rendered = render(template.subject, template.body, merge_values(merge))
    except TemplateProblem as exc:
        return Composition(None, NotSentReason.TEMPLATE_ERROR, str(exc)[:500], sender.email)
    return Composition(OutgoingEmail(
        sender_address=sender.email,
        sender_name=step.sender_name or sender.full_name or org.name,
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        bcc=[sender.email] if sender.notify_on_reminder else [],
    ), sender=sender.email)
