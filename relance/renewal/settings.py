"""An organisation's renewal-notice settings (seed 000) and a change to the fields given only: notices on
or off, how many days before a term ends, the template (checked against the notice's merge fields) and
the sender (a verified SES identity, checked now)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import select

from models import AppUser, EmailTemplate, RenewalSettings
from relance import limits, repository
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.email.senders import verified_sender
from relance.importing.format import Email, Identifier, TemplateIn
from relance.importing.importer import template_check
from relance.renewal import merge_fields
from relance.renewal.repository import renewal_settings


class RenewalSettingsOut(BaseModel):
    enabled: bool
    alert_days: int = Field(description="the notice goes this many days before the term ends")
    template: str | None
    sender: str | None


class RenewalChange(BaseModel):
    """Only the fields given change; an absent field keeps its value."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    alert_days: Annotated[int, Field(ge=1), AfterValidator(limits.check_days)] | None = None
    template: Identifier | None = None
    sender: Email | None = Field(default=None, description="a user whose address SES has verified")


async def read_settings(db: Database, org_slug: str) -> RenewalSettingsOut:
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        return await _out(session, await renewal_settings(session, org))


async def change_settings(db: Database, mailer: SesMailer, org_slug: str, change: RenewalChange) -> RenewalSettingsOut:
    """All or nothing: notices switched on need a template and a sender."""
    given = change.model_fields_set
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        settings = await renewal_settings(session, org)
        if "template" in given:
            settings.template_id = (await _template(session, org.id, org.slug, change.template)).id \
                if change.template else None
        if "sender" in given:
            settings.sender_user_id = (await verified_sender(session, mailer, org, change.sender, "renewals › sender")
                                       ).id if change.sender else None
        if change.alert_days is not None:
            settings.alert_days = change.alert_days
        if change.enabled is not None:
            settings.enabled = change.enabled
        missing = [name for name, value in (("template", settings.template_id), ("sender", settings.sender_user_id))
                   if settings.enabled and value is None]
        if missing:
            raise limits.Refused("; ".join(f"renewals › {name}: renewal notices need a {name}" for name in missing))
        session.add(settings)
        await session.flush()
        return await _out(session, settings)


async def _template(session, org_id: int, org_slug: str, key: str) -> EmailTemplate:
    template = (await session.exec(select(EmailTemplate).where(EmailTemplate.org_id == org_id,
                                                               EmailTemplate.key == key))).first()
    if template is None:
        raise limits.Refused(f"renewals › template: organisation {org_slug!r} has no template {key!r}")
    problems = template_check(TemplateIn(key=key, name=template.name, subject=template.subject, body=template.body),
                              merge_fields.FIELDS)
    if problems:
        raise limits.Refused("; ".join(f"renewals › {p}" for p in problems))
    return template


async def _out(session, settings: RenewalSettings) -> RenewalSettingsOut:
    template = await session.get(EmailTemplate, settings.template_id) if settings.template_id else None
    sender = await session.get(AppUser, settings.sender_user_id) if settings.sender_user_id else None
    return RenewalSettingsOut(enabled=settings.enabled, alert_days=settings.alert_days,
                              template=template.key if template else None, sender=sender.email if sender else None)
