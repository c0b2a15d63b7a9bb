"""A marketing email: the contact's merge fields through the scenario step's composition, then what
consent asks of marketing mail (the law, RFC 8058): an unsubscribe link at the end of every email and
the one-click List-Unsubscribe headers, whatever the template says."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from markupsafe import escape
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AppUser, EmailTemplate, ScenarioStep
from relance.email.compose import Composition, TemplateText, compose
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.marketing import merge_fields, rules
from relance.marketing.consent import Links, Subscriber
from relance.marketing.repository import ContactFile
from relance.scenario.email import compose_step

FOOTER_TEXT = "Pour ne plus recevoir ces emails / unsubscribe:"


NO_ADDRESS = "the contact has no email address"


async def compose_for_contact(session: AsyncSession, mailer: SesMailer, file: ContactFile, step: ScenarioStep,
                              now: datetime, links: Links, opportunity: dict[str, str] | None = None) -> Composition:
    """A marketing scenario step's email to the contact (with the enrolling opportunity's fields)."""
    url = links.unsubscribe_url(Subscriber(file.org.slug, file.contact.ref))
    return _consented(await compose_step(
        session, mailer, file.org, step, rules.recipient(file.contact),
        merge_fields.values(file, now, url, opportunity),
        notify_bcc=False, no_recipient=NO_ADDRESS), url)


async def compose_for_campaign(mailer: SesMailer, file: ContactFile, campaign_key: str, template: EmailTemplate,
                               sender: AppUser | None, now: datetime, links: Links) -> Composition:
    """A campaign's email to one recipient."""
    url = links.unsubscribe_url(Subscriber(file.org.slug, file.contact.ref))
    return _consented(await compose(
        TemplateText(template.subject, template.body), sender, rules.recipient(file.contact),
        merge_fields.values(file, now, url), where=f"campaign {campaign_key!r}", is_verified=mailer.is_verified,
        org_name=file.org.name, notify_bcc=False, no_recipient=NO_ADDRESS), url)


def _consented(composition: Composition, url: str) -> Composition:
    if composition.email is not None:
        composition.email = with_unsubscribe(composition.email, url)
    return composition


def with_unsubscribe(email: OutgoingEmail, url: str) -> OutgoingEmail:
    """The link at the end of both parts, and the headers a mail client's unsubscribe button uses."""
    footer_html = f'<p style="font-size:small">{escape(FOOTER_TEXT)} <a href="{escape(url)}">{escape(url)}</a></p>'
    html = email.html.replace("</body>", footer_html + "</body>", 1)
    return replace(email, text=f"{email.text}\n\n--\n{FOOTER_TEXT} {url}\n", html=html, headers={
        **email.headers, "List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
