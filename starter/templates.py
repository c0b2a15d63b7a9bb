"""A template rendered for one record, as its email would read now: the merge fields of the record's domain
(an invoice's, a contract's, a contact's, an opportunity's) over the organisation's template. Nothing is
sent or recorded; a field the domain does not fill stays as its raw code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from relance import calendar
from relance.db import Database
from relance.dunning import merge_fields as invoice_fields
from relance.dunning import repository as invoices
from relance.dunning import rules as dunning_rules
from relance.email.recipient import Recipient, recipient_from
from relance.email.rendering import raw_code, render
from relance.marketing import merge_fields as contact_fields
from relance.marketing import repository as contacts
from relance.pipeline import merge_fields as opportunity_fields
from relance.pipeline import repository as opportunities
from relance.renewal import merge_fields as contract_fields
from relance.renewal import repository as contracts
from relance.renewal import rules as renewal_rules
from relance.renewal.terms import Commitment
from relance.repository import NotFound
from relance.scenario.authoring import read_template

About = Literal["invoice", "contract", "contact", "opportunity"]


@dataclass
class RenderedPreview:
    template: str
    about: str
    ref: str
    recipient: str | None
    subject: str
    body: str


async def _values(db: Database, org_slug: str, about: About, ref: str,
                  now: datetime) -> tuple[Recipient | None, dict[str, str]]:
    async with db.session() as session:
        if about == "invoice":
            file = await invoices.invoice_file(session, org_slug, ref)
            recipient = dunning_rules.pick_recipient(file.invoice, file.account, file.contacts)
            return recipient, invoice_fields.values(file, recipient, now)
        if about == "contract":
            file = await contracts.contract_file(session, org_slug, ref)
            c = file.contract
            term_end = Commitment.of(c.start_date, c.period, c.years, c.tacit_renewal).current_term_end(
                calendar.local_today(now, file.org.timezone))
            if term_end is None:
                raise NotFound(f"contract {ref!r} of organisation {org_slug!r} has ended: no notice to preview")
            recipient = renewal_rules.contract_recipient(file.billing_contact)
            return recipient, contract_fields.values(file, recipient, term_end, now)
        if about == "contact":
            file = await contacts.contact_file(session, org_slug, ref, "")
            if file.contact is None:
                raise NotFound(f"contact {ref!r} of organisation {org_slug!r} not found")
            recipient = recipient_from(file.contact, "contact")
            return recipient, contact_fields.values(file, now, raw_code("UnsubscribeUrl"))
        file = await opportunities.opportunity_file(session, org_slug, ref)
        recipient = recipient_from(file.contact, "contact") if file.contact else None
        return recipient, opportunity_fields.values(file, recipient, now, None)


async def preview_template(db: Database, org_slug: str, key: str, about: About, ref: str,
                           now: datetime) -> RenderedPreview:
    """NotFound names the template or the record; a template that fails to render raises TemplateProblem."""
    template = await read_template(db, org_slug, key)
    recipient, values = await _values(db, org_slug, about, ref, now)
    rendered = render(template.subject, template.body, values, missing_as_codes=True)
    return RenderedPreview(key, about, ref, recipient.email if recipient and recipient.email else None,
                           rendered.subject, rendered.text)
