"""A marketing email: the contact's merge fields through the scenario step's composition, then what
consent asks of marketing mail (the law, RFC 8058): an unsubscribe link at the end of every email and
the one-click List-Unsubscribe headers, whatever the template says."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from markupsafe import escape
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ScenarioStep
from relance.email.compose import Composition
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.marketing import merge_fields, rules
from relance.marketing.consent import Links, Subscriber
from relance.marketing.repository import ContactFile
from relance.scenario.email import compose_step

FOOTER_TEXT = "Pour ne plus recevoir ces emails / unsubscribe:"


async def compose_for_contact(session: AsyncSession, mailer: SesMailer, file: ContactFile, step: ScenarioStep,
                              now: datetime, links: Links) -> Composition:
    url = links.unsubscribe_url(Subscriber(file.org.slug, file.contact.ref))
    composition = await compose_step(session, mailer, file.org, step, rules.recipient(file.contact),
                                     merge_fields.values(file, now, url), notify_bcc=False,
                                     no_recipient="the contact has no email address")
    if composition.email is not None:
        composition.email = with_unsubscribe(composition.email, url)
    return composition


def with_unsubscribe(email: OutgoingEmail, url: str) -> OutgoingEmail:
    """The link at the end of both parts, and the headers a mail client's unsubscribe button uses."""
    footer_html = f'<p style="font-size:small">{escape(FOOTER_TEXT)} <a href="{escape(url)}">{escape(url)}</a></p>'
    html = email.html.replace("</body>", footer_html + "</body>", 1)
    return replace(email, text=f"{email.text}\n\n--\n{FOOTER_TEXT} {url}\n", html=html, headers={
        **email.headers, "List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
