"""The I/O of a renewal notice: record it, re-check the contract and send the email, finish.

The notice's row (RenewalNotice, keyed by workflow id) is the audit record; the email goes through the
send-once ledger (relance.email.sending), so a retried activity never sends twice. Finishing the
notice tells the host's webhooks how it ended (relance.renewal.events).
"""

from __future__ import annotations

import structlog
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.nightly import PAGE_SIZE, resume
from models import About, Account, AppUser, Contract, ContractStatus, EmailTemplate, Organisation, RenewalNotice
from relance import calendar
from relance.db import Database
from relance.email import ledger
from relance.email.compose import NotSentReason, TemplateText, compose
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.email.sending import SendResult, SendStatus, send_once
from relance.email.suppression import suppressed
from relance.nightly import SweepInput, SweepResult
from relance.opening import holidays_of, weekdays_of
from relance.renewal import events, merge_fields, repository, rules
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
from relance.webhooks.publishing import Publisher

log = structlog.get_logger("relance.renewal")

FINAL = (NoticeOutcome.SENT, NoticeOutcome.NOT_SENT, NoticeOutcome.UNCERTAIN)
_THIS_NOTICE = update(RenewalNotice).where(RenewalNotice.workflow_id == bindparam("p_workflow_id"))
# The ledger's confirmation of the sent notice also writes the notice's row: one statement.
_SENT = ledger.confirm_with(_THIS_NOTICE.values(
    state=RunState.WAITING, outcome=NoticeOutcome.SENT, reason=None, detail=None, recipient=bindparam("p_recipient"),
    sender=bindparam("p_sender"), subject=bindparam("p_subject"), provider_message_id=ledger.MESSAGE_ID))
_NOTICES = RenewalNotice.__table__
# Finishing answers what the webhook event names (primary-key lookups in the same round trip).
_FINISH = update(_NOTICES).where(_NOTICES.c.workflow_id == bindparam("p_workflow_id")).values(
    state=RunState.ENDED, outcome=bindparam("p_outcome"), reason=bindparam("p_reason"),
    detail=bindparam("p_detail"), ended_at=bindparam("p_now"),
).returning(
    _NOTICES.c.org_id, _NOTICES.c.term_end, _NOTICES.c.recipient, _NOTICES.c.provider_message_id,
    select(Organisation.slug).where(Organisation.id == _NOTICES.c.org_id).scalar_subquery().label("org_slug"),
    select(Contract.ref).where(Contract.id == _NOTICES.c.contract_id).scalar_subquery().label("contract_ref"),
    select(Account.ref).join(Contract, Contract.account_id == Account.id)
    .where(Contract.id == _NOTICES.c.contract_id).scalar_subquery().label("account_ref"),
)


class RenewalActivities:
    def __init__(self, db: Database, mailer: SesMailer, webhooks: Publisher):
        self.db = db
        self.mailer = mailer
        self.webhooks = webhooks

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
        email, source = prepared
        result = await send_once(self.db, self.mailer, _email_key(inp), email, source, inp.now, confirm=_SENT,
                                 confirm_params={"p_workflow_id": inp.workflow_id, "p_recipient": email.to,
                                                 "p_sender": email.sender_address, "p_subject": email.subject},
                                 resolve=inp.resolving)
        if result.status == SendStatus.SENDER_REFUSED:
            detail = f"{email.sender_address} is not a verified SES identity"
            async with self.db.session() as session:
                await session.exec(_THIS_NOTICE.values(
                    state=RunState.BLOCKED, reason=NoticeReason.SENDER_NOT_VERIFIED, detail=detail),
                    params={"p_workflow_id": inp.workflow_id})
            return NoticeAttempt(None, NoticeReason.SENDER_NOT_VERIFIED, detail)
        if not result.fresh:
            async with self.db.session() as session:
                return _settled(await session.get(RenewalNotice, inp.workflow_id), result,
                                self.mailer.settle_after)
        if result.resolution is not None:
            log.info("uncertain notice settled", how=result.resolution.value, org=inp.org_slug,
                     contract=inp.contract_ref, message_id=result.message_id)
        log.info("renewal notice sent", org=inp.org_slug, contract=inp.contract_ref, term_end=str(inp.term_end),
                 message_id=result.message_id)
        return NoticeAttempt(NoticeOutcome.SENT, recipient=email.to, message_id=result.message_id)

    async def _prepare(self, session: AsyncSession,
                       inp: NoticeInput) -> NoticeAttempt | tuple[OutgoingEmail, ledger.Source]:
        """A final or blocked attempt when nothing is to be sent, else the email and who makes it."""
        file = await _contract_file(session, inp.org_slug, inp.contract_ref)
        notice = await session.get(RenewalNotice, inp.workflow_id)
        if notice.outcome in FINAL and not (inp.resolving and notice.outcome == NoticeOutcome.UNCERTAIN):
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
        if reason is not None:
            return _not_sent(notice, reason)

        recipient = rules.contract_recipient(file.billing_contact)
        # A legal notice: a complaint does not stop it, a hard bounce does (the address does not exist).
        if recipient is not None and await suppressed(session, [recipient.email], legal_notice=True):
            recipient = None
        sender = await session.get(AppUser, settings.sender_user_id) if settings.sender_user_id else None
        template = await session.get(EmailTemplate, settings.template_id) if settings.template_id else None
        composition = await compose(
            TemplateText(template.subject, template.body) if template else None, sender, recipient,
            merge_fields.values(file, recipient, inp.term_end, inp.now), where=f"organisation {org.slug!r} renewals",
            is_verified=self.mailer.is_verified, org_name=org.name)
        if composition.reason == NotSentReason.SENDER_NOT_VERIFIED:
            notice.state, notice.reason = RunState.BLOCKED, NoticeReason.SENDER_NOT_VERIFIED
            notice.detail, notice.sender = composition.detail, composition.sender
            log.warning("renewal notice held: sender not verified", org=org.slug, contract=contract.ref)
            return NoticeAttempt(None, NoticeReason.SENDER_NOT_VERIFIED, composition.detail)
        source = ledger.Source(org.id, inp.workflow_id, About("contract", contract.ref))
        if composition.email is None:
            # No recipient, or a template that fails: settled in the ledger, so a retry keeps it.
            detail = None if composition.reason == NotSentReason.NO_RECIPIENT else composition.detail
            claim = await ledger.record_not_sent(session, _email_key(inp), source, composition.reason, inp.now,
                                                 sender=composition.sender, subject=detail)
            if not claim.fresh:
                return _settled(notice, SendResult(SendStatus(claim.state), claim.provider_message_id,
                                                   claim.recipient, claim.reason, fresh=False),
                                self.mailer.settle_after)
            if composition.reason == NotSentReason.NO_RECIPIENT:
                log.warning("renewal notice not sent: no recipient", org=org.slug, contract=contract.ref)
            return _not_sent(notice, NoticeReason(composition.reason), detail)
        return composition.email, source

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
        async with self.db.autocommit() as session:
            notice = (await session.exec(_FINISH, params={
                "p_workflow_id": inp.workflow_id, "p_outcome": inp.outcome, "p_reason": inp.reason,
                "p_detail": inp.detail, "p_now": inp.now})).one()
        await self.webhooks.publish(events.notice_ended(inp, notice))
        log.info("renewal notice finished", outcome=inp.outcome, reason=inp.reason)


async def _contract_file(session: AsyncSession, org_slug: str, ref: str) -> repository.ContractFile:
    try:
        return await repository.contract_file(session, org_slug, ref)
    except repository.NotFound as exc:
        raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc


def _email_key(inp: NoticeInput) -> str:
    return f"{inp.workflow_id}:email"


def _settled(notice: RenewalNotice, prior: SendResult, settle_after: float | None) -> NoticeAttempt:
    """The notice's row takes the outcome an earlier attempt left in the ledger, or SES's refusal. An
    attempt that died between the claim and SES's answer left it uncertain: the workflow asks again
    after the reconciliation window, when SES's events settle it."""
    uncertain = prior.status == SendStatus.UNCERTAIN
    if uncertain:
        log.warning("delivery uncertain, settled after the reconciliation window", workflow_id=notice.workflow_id)
    notice.outcome, notice.reason = NoticeOutcome(prior.status.value), prior.reason
    notice.recipient, notice.provider_message_id = prior.recipient, prior.message_id
    known = prior.reason in NoticeReason.__members__.values()
    return NoticeAttempt(notice.outcome, NoticeReason(prior.reason) if known else None,
                         notice.detail if known else prior.reason, prior.recipient, prior.message_id,
                         resolve_after=settle_after if uncertain else None)


def _not_sent(notice: RenewalNotice, reason: NoticeReason, detail: str | None = None) -> NoticeAttempt:
    notice.outcome, notice.reason, notice.detail = NoticeOutcome.NOT_SENT, reason, detail
    return NoticeAttempt(NoticeOutcome.NOT_SENT, reason, detail)
