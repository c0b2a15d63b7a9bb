"""Compose an email from a template, a sender, a recipient and the merge fields of its domain: one
code path for every domain, the preview and the simulation, so what a user previews is what goes out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from models import AppUser
from relance.email.mailer import OutgoingEmail
from relance.email.recipient import Recipient
from relance.email.rendering import TemplateProblem, render


class NotSentReason(StrEnum):
    """Why an email was not sent."""

    NO_RECIPIENT = "no_recipient"
    SENDER_NOT_VERIFIED = "sender_not_verified"
    TEMPLATE_ERROR = "template_error"
    ATTACHMENT_MISSING = "attachment_missing"  # a document it attaches is no longer in storage
    DELIVERY_UNCERTAIN = "delivery_uncertain"  # a worker died between the claim and SES's answer: settled later


@dataclass(frozen=True)
class TemplateText:
    subject: str
    body: str


@dataclass
class Composition:
    """An email ready to go, or why there is none (reason, detail)."""

    email: OutgoingEmail | None
    reason: NotSentReason | None = None
    detail: str | None = None
    sender: str | None = None


async def compose(template: TemplateText | None, sender: AppUser | None, recipient: Recipient | None,
                  merge: Mapping[str, str], *, where: str, is_verified: Callable[[str], Awaitable[bool]],
                  org_name: str, sender_name: str | None = None, notify_bcc: bool = True,
                  missing_as_codes: bool = False, no_recipient: str = "no recipient address") -> Composition:
    """`where` names the object that holds the template, for errors (SPEC rule 5); `merge` is the domain's
    values; `is_verified` asks the provider whether the sender's address may send."""
    if recipient is None or not recipient.email:
        return Composition(None, NotSentReason.NO_RECIPIENT, no_recipient)
    if sender is None or not await is_verified(sender.email):
        detail = "no sender configured" if sender is None else f"{sender.email} is not a verified SES identity"
        return Composition(None, NotSentReason.SENDER_NOT_VERIFIED, detail, sender.email if sender else None)
    try:
        if template is None:
            raise TemplateProblem([f"{where}: field template is empty"])
        rendered = render(template.subject, template.body, merge, missing_as_codes)
    except TemplateProblem as exc:
        return Composition(None, NotSentReason.TEMPLATE_ERROR, str(exc)[:500], sender.email)
    return Composition(OutgoingEmail(
        sender_address=sender.email,
        sender_name=sender_name or sender.full_name or org_name,
        to=recipient.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        bcc=[sender.email] if notify_bcc and sender.notify_on_reminder else [],
    ), sender=sender.email)
