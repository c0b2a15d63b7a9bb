"""A scenario step's email: its sender and template, through the shared composition. Dunning and the
simulation both walk scenarios; each brings its recipient and merge fields."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AppUser, EmailTemplate, Organisation, ScenarioStep, SenderMode, TemplateTranslation
from relance.email.compose import Composition, TemplateText, compose
from relance.email.languages import preferred
from relance.email.mailer import SesMailer
from relance.email.recipient import Recipient
from relance.scenario.plan import step_name


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


async def template_text(session: AsyncSession, template_id: int | None, language: str | None) -> TemplateText | None:
    """The template in the reader's language when it has that translation, else the organisation's own."""
    template = await session.get(EmailTemplate, template_id) if template_id else None
    if template is None:
        return None
    if language:
        candidates = preferred(language)
        translations = {t.language: t for t in (await session.exec(select(TemplateTranslation).where(
            TemplateTranslation.template_id == template.id, col(TemplateTranslation.language).in_(candidates))))}
        chosen = next((translations[lang] for lang in candidates if lang in translations), None)
        if chosen is not None:
            return TemplateText(chosen.subject, chosen.body)
    return TemplateText(template.subject, template.body)


async def compose_step(session: AsyncSession, mailer: SesMailer, org: Organisation, step: ScenarioStep,
                       recipient: Recipient | None, merge: Mapping[str, str], *, creator_user_id: int | None = None,
                       notify_bcc: bool = True, missing_as_codes: bool = False,
                       no_recipient: str = "no recipient address", language: str | None = None) -> Composition:
    """`language`: the reader's (an account's), None for the organisation's."""
    sender = await sender_for(session, org, step, creator_user_id)
    return await compose(
        await template_text(session, step.template_id, language), sender, recipient, merge,
        where=f"scenario step {step_name(step.position, step.label)}", is_verified=mailer.is_verified,
        org_name=org.name, sender_name=step.sender_name, notify_bcc=notify_bcc, missing_as_codes=missing_as_codes,
        no_recipient=no_recipient)
