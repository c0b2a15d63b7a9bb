"""The I/O of a renewal notice: record it, re-check the contract and send the email, finish.

The notice's row (RenewalNotice, keyed by workflow id) is the audit record and the email's claim:
it says 'sending' before SES is called, so a retried activity never sends twice.
"""

from __future__ import annotations

import structlog
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.nightly import PAGE_SIZE, resume
from models import AppUser, ContractStatus, EmailTemplate, RenewalNotice
from relance import calendar
from relance.db import Database
from relance.email.mailer import OutgoingEmail, SenderNotVerified, SesMailer
from relance.email.rendering import MergeData, TemplateProblem, merge_values, render
from relance.nightly import SweepInput, SweepResult
from relance.opening import holidays_of, weekdays_of
from relance.renewal import repository, rules
from relance.renewal.starting import start_renewal_notice
from relance.renewal.terms import contract_notices
from relance.renewal.types import (
    FinishNoticeInput,
    NoticeAttempt,
    NoticeInput,
    NoticeOutcome,
    NoticePlan,
    NoticeReason,
)
from relance.scenario.plan import RunState

log = structlog.get_logger("relance.renewal")

FINAL = (NoticeOutcome.SENT, NoticeOutcome.NOT_SENT, NoticeOutcome.UNCERTAIN)


class RenewalActivities:
    def __init__(self, db: Database, mailer: SesMailer):
        self.db = db
        self.mailer = mailer

    @activity.defn
    async def begin_notice(self, inp: NoticeInput) -> NoticePlan:
        """Record the notice (once) and tell the workflow where and when it may be sent."""
        async with self.db.session() as session:
            file = await _contract_file(session, inp.org_slug, inp.contract_ref)
            await session.exec(insert(RenewalNotice).values(
                workflow_id=inp.workflow_id, org_id=file.org.id, contract_id=file.contract.id,
                term_end=inp.term_end, state=RunState.STARTING, started_at=inp.now,
            ).on_conflict_do_nothing())
        org = file.org
        country, subdivision = holidays_of(org)
        return NoticePlan(org.slug, file.contract.ref, file.account.ref, inp.term_end, org.timezone,
                          org.send_window_start, org.send_window_end, weekdays_of(org), country, subdivision)

    @activity.defn
    async def send_notice(self, inp: NoticeInput) -> NoticeAttempt:
        """Re-check the contract at send time, then send the notice at most once."""
        async with self.db.session() as session:
            prepared = await self._prepare(session, inp)
        if isinstance(prepared, NoticeAttempt):
            return prepared
        return await self._deliver(inp, prepared)

    async def _prepare(self, session: AsyncSession, inp: NoticeInput) -> NoticeAttempt | OutgoingEmail:
        """A final or blocked attempt when nothing is to be sent, else the email, claimed first."""
        file = await _contract_file(session, inp.org_slug, inp.contract_ref)
        notice = await session.get(RenewalNotice, inp.workflow_id)
        if notice.outcome == "sending":
            # A previous attempt died between SES and the audit row: SES may have the message.
            notice.outcome, notice.reason = NoticeOutcome.UNCERTAIN, NoticeReason.DELIVERY_UNCERTAIN
            log.warning("delivery uncertain, not resending", workflow_id=inp.workflow_id)
        if notice.outcome in FINAL:
            return NoticeAttempt(NoticeOutcome(notice.outcome), notice.reason, notice.detail, notice.recipient,
                                 notice.provider_message_id)
        org, settings, contract = file.org, file.settings, file.contract
        reason = None
        if contract.status == ContractStatus.SETTLED:
            reason = NoticeReason.CONTRACT_SETTLED
        elif not settings.enabled:
            reason = NoticeReason.RENEWALS_OFF
        elif calendar.local_today(inp.now, org.timezone) >= inp.term_end:
            reason = NoticeReason.TERM_ENDED
        recipient = rules.contract_recipient(file.billing_contact)
        if reason is None and recipient is None:
            reason = NoticeReason.NO_RECIPIENT
            log.warning("renewal notice not sent: no recipient", org=org.slug, contract=contract.ref)
        if reason is not None:
            return _not_sent(notice, reason)

        sender = await session.get(AppUser, settings.sender_user_id) if settings.sender_user_id else None
        if sender is None or not await self.mailer.is_verified(sender.email):
            detail = "no sender configured" if sender is None else f"{sender.email} is not a verified SES identity"
            notice.state, notice.reason, notice.detail = RunState.BLOCKED, NoticeReason.SENDER_NOT_VERIFIED, detail
            notice.sender = sender.email if sender else None
            log.warning("renewal notice held: sender not verified", org=org.slug, contract=contract.ref)
            return NoticeAttempt(None, NoticeReason.SENDER_NOT_VERIFIED, detail)

        template = await session.get(EmailTemplate, settings.template_id) if settings.template_id else None
        values = merge_values(MergeData(
            locale=org.locale, currency=org.currency, today=calendar.local_today(inp.now, org.timezone),
            civility=recipient.civility, name=recipient.name, contract_ref=contract.ref,
            customer=file.account.name, term_end=inp.term_end, contract_amount=contract.amount,
        ))
        try:
            if template is None:
                raise TemplateProblem([f"organisation {org.slug!r} renewals: field template is empty"])
            email = render(template.subject, template.body, values)
        except TemplateProblem as exc:
            return _not_sent(notice, NoticeReason.TEMPLATE_ERROR, str(exc)[:500])

        notice.state, notice.outcome, notice.reason, notice.detail = RunState.WAITING, "sending", None, None
        notice.recipient, notice.sender, notice.subject = recipient.email, sender.email, email.subject
        return OutgoingEmail(
            sender_address=sender.email, sender_name=sender.full_name or org.name, to=recipient.email,
            subject=email.subject, text=email.text, html=email.html,
            bcc=[sender.email] if sender.notify_on_reminder else [],
        )

    async def _deliver(self, inp: NoticeInput, email: OutgoingEmail) -> NoticeAttempt:
        claimed = (RenewalNotice.workflow_id == inp.workflow_id, RenewalNotice.outcome == "sending")
        try:
            message_id = await self.mailer.send(email)
        except SenderNotVerified:
            detail = f"{email.sender_address} is not a verified SES identity"
            async with self.db.session() as session:
                await session.exec(update(RenewalNotice).where(*claimed).values(
                    outcome=None, state=RunState.BLOCKED, reason=NoticeReason.SENDER_NOT_VERIFIED, detail=detail))
            return NoticeAttempt(None, NoticeReason.SENDER_NOT_VERIFIED, detail)
        except Exception:
            # SES did not take the message: release the claim so the retry sends it.
            async with self.db.session() as session:
                await session.exec(update(RenewalNotice).where(*claimed).values(outcome=None))
            raise
        async with self.db.session() as session:
            await session.exec(update(RenewalNotice).where(*claimed).values(
                outcome=NoticeOutcome.SENT, provider_message_id=message_id))
        log.info("renewal notice sent", org=inp.org_slug, contract=inp.contract_ref, term_end=str(inp.term_end),
                 message_id=message_id)
        return NoticeAttempt(NoticeOutcome.SENT, recipient=email.to, message_id=message_id)

    @activity.defn
    async def start_due_renewal_notices(self, inp: SweepInput) -> SweepResult:
        """Seed 000's daily inspection: for every contract not settled and not monthly, the notice of
        each term whose notice date is today or earlier and which has not ended yet. So a day missed
        (worker or server down) is caught up while the term runs, and an ended term never gets one.
        "Today" is the workflow's time in the organisation's zone, never this worker's clock."""
        after_id, result = resume()
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
            settings = await repository.renewal_settings(session, org)
        if not settings.enabled:
            log.info("renewal inspection skipped: renewals switched off", org=org.slug)
            return result
        today = calendar.local_today(inp.now, org.timezone)
        client = activity.client()
        while True:
            async with self.db.session() as session:
                page = await repository.renewal_contracts(session, org.id, after_id, PAGE_SIZE)
                refs = await repository.account_refs(session, {c.account_id for c in page})
            if not page:
                break
            for contract in page:
                for notice in contract_notices(contract, settings.alert_days, today, today):
                    result.count(await start_renewal_notice(client, inp.task_queue, org.slug, contract.ref,
                                                            refs[contract.account_id], notice.term_end))
                after_id = contract.id
                activity.heartbeat(after_id, result.__dict__)
        log.info("renewal inspection done", org=org.slug, due=result.examined, started=result.started)
        return result

    @activity.defn
    async def finish_notice(self, inp: FinishNoticeInput) -> None:
        async with self.db.session() as session:
            await session.exec(update(RenewalNotice).where(RenewalNotice.workflow_id == inp.workflow_id).values(
                state=RunState.ENDED, outcome=inp.outcome, reason=inp.reason, detail=inp.detail, ended_at=inp.now))
        log.info("renewal notice finished", outcome=inp.outcome, reason=inp.reason)


async def _contract_file(session: AsyncSession, org_slug: str, ref: str) -> repository.ContractFile:
    try:
        return await repository.contract_file(session, org_slug, ref)
    except repository.NotFound as exc:
        raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc


def _not_sent(notice: RenewalNotice, reason: NoticeReason, detail: str | None = None) -> NoticeAttempt:
    notice.outcome, notice.reason, notice.detail = NoticeOutcome.NOT_SENT, reason, detail
    return NoticeAttempt(NoticeOutcome.NOT_SENT, reason, detail)
