"""notify with a `user` (issue 26): the user is told by the channel they chose (AppUser.notify_by): a task
in their agenda (relance.tasks, the host's tasks API), or an email through the send-once ledger, in the
organisation's language with the time in its zone. Both are keyed by the automation's idempotency key:
one task or one email per automation, whatever dies when."""

from __future__ import annotations

from models import About, AppUser, Organisation
from relance import calendar, i18n, tasks
from relance.db import Database
from relance.email import ledger
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.email.rendering import html_of, single_line
from relance.email.sending import SendStatus, send_once
from relance.importing.format import ASSIGNED_TO
from relance.pipeline import repository
from relance.pipeline.errors import Permanent
from relance.pipeline.ids import opportunity_workflow_id
from relance.pipeline.repository import OpportunityFile
from relance.pipeline.types import AutomationInput, AutomationOutcome, AutomationState

BY_TASK, BY_EMAIL = "task", "email"


async def user_named(session, file: OpportunityFile, who: str, field: str) -> AppUser:
    """The user an automation names: an address, or the opportunity's salesperson."""
    if who == ASSIGNED_TO:
        if file.assigned is None:
            raise Permanent(f"{ASSIGNED_TO}: opportunity {file.opportunity.ref!r} has no salesperson")
        return file.assigned
    user = await repository.user_by_email(session, file.org.id, who)
    if user is None:
        raise Permanent(f"{field}: {who!r} is not a user of the organisation")
    return user


async def notify(db: Database, mailer: SesMailer, file: OpportunityFile, inp: AutomationInput,
                 spec: dict) -> AutomationOutcome:
    org, opp, key = file.org, file.opportunity, inp.automation.idem_key
    async with db.session() as session:
        user = await user_named(session, file, spec["user"], "user")
        if user.notify_by != BY_EMAIL:
            await tasks.create_task_once(
                session, key, About("opportunity", opp.ref), org_id=org.id, title=spec["text"],
                due_on=calendar.local_today(inp.now, org.timezone), assignee_user_id=user.id,
                workflow_id=opportunity_workflow_id(org.slug, opp.ref), now=inp.now)
            return AutomationOutcome(AutomationState.DONE, f"task for {user.email}")
        sender = await _sender(session, org, spec.get("sender"))
    email = _email(file, inp, spec["text"], user, sender)
    source = ledger.Source(org.id, opportunity_workflow_id(org.slug, opp.ref), About("opportunity", opp.ref))
    result = await send_once(db, mailer, key, email, source, inp.now)
    if result.status == SendStatus.SENDER_REFUSED:
        raise Permanent(f"sender: {sender.email} is not a verified sender")
    if result.status == SendStatus.NOT_SENT:
        raise Permanent(f"not sent: {result.reason}")
    return AutomationOutcome(AutomationState.DONE, f"email to {user.email} ({result.status})")


async def _sender(session, org: Organisation, named: str | None) -> AppUser:
    """The automation's sender, else the organisation's (its dunning sender)."""
    if named is not None:
        sender = await repository.user_by_email(session, org.id, named)
    else:
        sender = await session.get(AppUser, org.default_sender_user_id) if org.default_sender_user_id else None
    if sender is None:
        raise Permanent("sender: the user reads notifications by email, and neither the automation nor the "
                        "organisation names a sender")
    return sender


def _email(file: OpportunityFile, inp: AutomationInput, text: str, user: AppUser, sender: AppUser) -> OutgoingEmail:
    org, opp, a = file.org, file.opportunity, inp.automation
    _ = i18n.gettext_in(i18n.language_of(org.locale))
    body = _("Hello %(name)s,\n\n%(text)s\n\nOpportunity %(ref)s%(title)s, stage %(stage)s, at %(when)s "
             "(rule %(rule)s).\n", name=user.full_name or user.email, text=text, ref=opp.ref,
             title=f" ({opp.name})" if opp.name else "", stage=opp.stage_key,
             when=calendar.written(inp.now, org.timezone), rule=a.rule_key)
    return OutgoingEmail(sender_address=sender.email, sender_name=sender.full_name or org.name, to=user.email,
                         subject=single_line(_("Opportunity %(ref)s: %(text)s", ref=opp.ref, text=text)),
                         text=body, html=html_of(body))
