"""The I/O of a marketing enrolment: record it and freeze its plan, re-check the contact, send or do
each step, finish.

Before every step the contact is re-read once (repository.contact_file) and judged by rules.exit_reason:
deleted, opted out, scenario switched off end the run. Emails go through the send-once ledger
(relance.email.sending) under a key per enrolment and step, tasks are created once per key, and what
happened is published to the host's webhooks under the same keys.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models import (
    About,
    AppUser,
    CampaignState,
    Contact,
    EmailCampaign,
    EmailTemplate,
    MarketingEnrolment,
    Organisation,
    Scenario,
    ScenarioStep,
    StepKind,
)
from relance import calendar
from relance.db import Database
from relance.email import ledger
from relance.email.compose import NotSentReason
from relance.email.mailer import SesMailer
from relance.email.sending import SendResult, SendStatus, send_once
from relance.marketing import campaigns, events, repository, rules
from relance.marketing.compose import compose_for_campaign, compose_for_contact
from relance.marketing.consent import Links
from relance.marketing.plans import build_plan
from relance.marketing.types import (
    BeginEnrolmentInput,
    CampaignAudience,
    CampaignFailureInput,
    CampaignFinishInput,
    CampaignRef,
    CampaignResult,
    CampaignSendInput,
    ContactCheck,
    ContactCheckInput,
    EnrolmentPlan,
    FinishInput,
    RecipientOutcome,
    RecipientPage,
    StepInput,
)
from relance.scenario.plan import RunState, StepOutcome, StepStatus, step_number
from relance.tasks import create_task_once
from relance.webhooks.publishing import Publisher

log = structlog.get_logger("relance.marketing")

_ENROLMENTS = MarketingEnrolment.__table__


class _MarketingIO:
    """What marketing's activities share: the database, SES, the host's webhooks, unsubscribe links."""

    def __init__(self, db: Database, mailer: SesMailer, webhooks: Publisher, links: Links):
        self.db = db
        self.mailer = mailer
        self.webhooks = webhooks
        self.links = links


class MarketingActivities(_MarketingIO):

    @activity.defn
    async def begin_enrolment(self, inp: BeginEnrolmentInput) -> EnrolmentPlan:
        """Record the enrolment (once per run) on the scenario's latest version, and freeze that version."""
        async with self.db.session() as session:
            try:
                org = await repository.organisation(session, inp.org_slug)
                contact = await repository.contact(session, org, inp.contact_ref)
                enrolment = (await session.exec(select(MarketingEnrolment).where(
                    MarketingEnrolment.workflow_id == inp.workflow_id, MarketingEnrolment.run_id == inp.run_id))
                ).first()
                # A retried start keeps the version it recorded first.
                scenario = (await session.get(Scenario, enrolment.scenario_id) if enrolment
                            else await repository.latest_scenario(session, org, inp.scenario_key))
            except repository.NotFound as exc:
                raise ApplicationError(str(exc), type="NotFound", non_retryable=True) from exc
            if enrolment is None:
                enrolment = MarketingEnrolment(
                    workflow_id=inp.workflow_id, run_id=inp.run_id, org_id=org.id, contact_id=contact.id,
                    scenario_id=scenario.id, scenario_key=scenario.key, enrolled_by=inp.enrolled_by,
                    state=RunState.STARTING, started_at=inp.now)
                session.add(enrolment)
                await session.flush()
            plan = await build_plan(session, org, scenario, enrolment, contact.ref)
        log.info("enrolment begun", org=org.slug, contact=contact.ref, scenario=plan.scenario_name)
        return plan

    @activity.defn
    async def check_contact(self, inp: ContactCheckInput) -> ContactCheck:
        """Called when the run is told the contact or the scenario changed (an unsubscribe ends it at once)."""
        async with self.db.session() as session:
            file = await repository.contact_file(session, inp.org_slug, inp.contact_ref, inp.scenario_key)
        return ContactCheck(rules.exit_reason(file.facts))

    @activity.defn
    async def execute_marketing_step(self, inp: StepInput) -> StepOutcome:
        """Re-check the contact, then send the step's email or create its task."""
        async with self.db.session() as session:
            file = await repository.contact_file(session, inp.org_slug, inp.contact_ref, inp.scenario_key)
            reason = rules.exit_reason(file.facts)
            if reason is not None:
                return StepOutcome(StepStatus.EXIT, reason)
            step = (await session.exec(select(ScenarioStep).where(
                ScenarioStep.scenario_id == inp.scenario_id, ScenarioStep.position == inp.position))).one()
            await _progress(session, inp, RunState.WAITING)
            if step.kind == StepKind.ACTION:
                return await _create_task(session, inp, file, step)
            composition = await compose_for_contact(session, self.mailer, file, step, inp.now, self.links,
                                                      inp.opportunity)
            if composition.reason == NotSentReason.SENDER_NOT_VERIFIED:
                return StepOutcome(StepStatus.BLOCKED, composition.detail)
            if composition.email is None:
                claim = await ledger.record_not_sent(session, events.email_key(inp), _source(inp, file),
                                                     composition.reason, inp.now, subject=composition.detail)
                log.warning("marketing email not sent", reason=claim.reason, org=inp.org_slug,
                            contact=inp.contact_ref, step=step_number(inp.position))
                return StepOutcome(StepStatus.DONE, claim.reason, claim.recipient)
            email = composition.email
        keys = dict(org=inp.org_slug, contact=inp.contact_ref, step=step_number(inp.position))
        result = await send_once(self.db, self.mailer, events.email_key(inp), email, _source(inp, file), inp.now,
                                 resolve=inp.resolving)
        _note_settled(result, **keys)
        if result.status == SendStatus.SENDER_REFUSED:
            return StepOutcome(StepStatus.BLOCKED, f"{email.sender_address} is not a verified SES identity")
        if result.status == SendStatus.UNCERTAIN:
            return StepOutcome(StepStatus.DONE, result.reason, result.recipient,
                               resolve_after=_uncertain(self.mailer.settle_after, **keys))
        if result.status == SendStatus.SENT:
            await self.webhooks.publish(events.sent(inp, file.org.id, step.label, result.recipient, result.message_id))
            log.info("marketing email sent", org=inp.org_slug, contact=inp.contact_ref, step=step_number(inp.position),
                     message_id=result.message_id, fresh=result.fresh)
        return StepOutcome(StepStatus.DONE, result.reason, result.recipient, result.message_id)

    @activity.defn
    async def finish_enrolment(self, inp: FinishInput) -> None:
        async with self.db.session() as session:
            row = (await session.exec(
                select(MarketingEnrolment, Organisation.slug, Contact.ref)
                .join(Organisation, Organisation.id == MarketingEnrolment.org_id)
                .join(Contact, Contact.id == MarketingEnrolment.contact_id)
                .where(MarketingEnrolment.id == inp.enrolment_id))).one()
            enrolment, org_slug, contact_ref = row
            await session.exec(update(_ENROLMENTS).where(_ENROLMENTS.c.id == inp.enrolment_id).values(
                state=RunState.ENDED, ended_at=inp.now, exit_reason=inp.reason, exit_detail=inp.detail,
                emails_sent=inp.emails_sent))
        await self.webhooks.publish(events.exited(inp, enrolment.org_id, org_slug, enrolment.scenario_key,
                                                  contact_ref))
        log.info("enrolment finished", org=org_slug, contact=contact_ref, reason=inp.reason)


async def _progress(session: AsyncSession, inp: StepInput, state: RunState) -> None:
    await session.exec(update(_ENROLMENTS).where(_ENROLMENTS.c.id == inp.enrolment_id).values(
        state=state, current_step=inp.position))


async def _create_task(session: AsyncSession, inp: StepInput, file: repository.ContactFile,
                       step: ScenarioStep) -> StepOutcome:
    await create_task_once(
        session, events.task_key(inp), About("contact", inp.contact_ref), org_id=file.org.id,
        title=step.task_title or step.label,
        due_on=calendar.local_today(inp.now, file.org.timezone) + timedelta(days=step.task_due_days),
        assignee_user_id=step.task_assignee_user_id or file.org.default_sender_user_id,
        workflow_id=inp.workflow_id, now=inp.now)
    log.info("task created", org=inp.org_slug, contact=inp.contact_ref, step=step_number(inp.position))
    return StepOutcome(StepStatus.DONE)


def _source(inp: StepInput, file: repository.ContactFile) -> ledger.Source:
    return ledger.Source(file.org.id, inp.workflow_id, About("contact", inp.contact_ref))


def _uncertain(settle_after: float | None, **keys) -> float | None:
    """An earlier attempt died between the claim and SES's answer: the run asks again after the
    reconciliation window (None: no SES events path, it stays uncertain, listed by `relance uncertain`)."""
    activity.metric_meter().create_counter(
        "relance_sends_uncertain", "Sends found uncertain (a worker died mid-send)").add(1)
    log.warning("delivery uncertain, settled after the reconciliation window", window_s=settle_after, **keys)
    return settle_after


def _note_settled(result: SendResult, **keys) -> None:
    if result.resolution is None:
        return
    activity.metric_meter().create_counter("relance_uncertain_sends_settled", "Uncertain sends settled, by how").add(
        1, {"how": result.resolution.value})
    log.info("uncertain send settled", how=result.resolution.value, message_id=result.message_id, **keys)


class CampaignActivities(_MarketingIO):
    """The I/O of an email campaign: freeze its recipients, send to one (re-checked just before), record a
    recipient's failure, finish."""

    @activity.defn
    async def prepare_campaign(self, inp: CampaignRef) -> CampaignAudience:
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
            c = await campaigns.campaign(session, org, inp.campaign_key)
            c.state = CampaignState.SENDING
            session.add(c)
            if inp.retry:
                ids = await campaigns.retry_failed(session, c, inp.retry)
            else:
                ids = await campaigns.freeze_audience(session, c)
        log.info("campaign launched", org=inp.org_slug, campaign=inp.campaign_key, recipients=len(ids),
                 retry=bool(inp.retry))
        return CampaignAudience(c.id, ids)

    @activity.defn
    async def next_recipients(self, inp: RecipientPage) -> list[int]:
        """A continued campaign run's batch: the pending recipients after the previous run's last."""
        async with self.db.session() as session:
            return await campaigns.pending_after(session, inp.campaign_id, inp.after_contact_id, inp.limit)

    @activity.defn
    async def send_campaign_email(self, inp: CampaignSendInput) -> RecipientOutcome:
        """Re-check the recipient, then send once (ledger key per campaign and contact). A sender SES
        refuses fails this recipient (recorded: it can be retried alone); other errors retry."""
        async with self.db.session() as session:
            c = await session.get(EmailCampaign, inp.campaign_id)
            file = await repository.recipient_file(session, inp.contact_id)
            contact = file.contact
            skip = rules.campaign_skip_reason(file.facts)
            if skip is not None:
                await campaigns.settle(session, c.id, contact.id, inp.now, "skipped", skip)
                return RecipientOutcome("skipped", skip)
            template = await session.get(EmailTemplate, c.template_id)
            sender_id = c.sender_user_id or file.org.default_sender_user_id
            sender = await session.get(AppUser, sender_id) if sender_id else None
            composition = await compose_for_campaign(self.mailer, file, c.key, template, sender, inp.now, self.links)
            if composition.reason == NotSentReason.SENDER_NOT_VERIFIED:
                raise ApplicationError(composition.detail, type="SenderNotVerified", non_retryable=True)
            if composition.email is None:
                await campaigns.settle(session, c.id, contact.id, inp.now, "skipped", composition.reason)
                return RecipientOutcome("skipped", composition.reason)
        email = composition.email
        key = events.campaign_email_key(inp.org_slug, inp.campaign_key, contact.ref)
        keys = dict(org=inp.org_slug, campaign=inp.campaign_key, contact=contact.ref)
        result = await send_once(self.db, self.mailer, key, email, ledger.Source(
            c.org_id, activity.info().workflow_id, About("contact", contact.ref)), inp.now, resolve=inp.resolving)
        _note_settled(result, **keys)
        if result.status == SendStatus.SENDER_REFUSED:
            raise ApplicationError(f"{email.sender_address} is not a verified SES identity", type="SenderNotVerified",
                                   non_retryable=True)
        state = {SendStatus.SENT: "sent", SendStatus.UNCERTAIN: "uncertain"}.get(result.status, "skipped")
        async with self.db.session() as session:
            await campaigns.settle(session, c.id, contact.id, inp.now, state, result.reason, result.recipient,
                                   result.message_id)
        if result.status == SendStatus.UNCERTAIN:
            return RecipientOutcome(state, result.reason, resolve_after=_uncertain(self.mailer.settle_after, **keys))
        return RecipientOutcome(state, result.reason, result.message_id)

    @activity.defn
    async def record_campaign_failure(self, inp: CampaignFailureInput) -> None:
        async with self.db.session() as session:
            await campaigns.settle(session, inp.campaign_id, inp.contact_id, inp.now, "failed", inp.error[:500])
        log.warning("campaign recipient failed", campaign_id=inp.campaign_id, contact_id=inp.contact_id)

    @activity.defn
    async def finish_campaign(self, inp: CampaignFinishInput) -> CampaignResult:
        async with self.db.session() as session:
            c = await session.get(EmailCampaign, inp.campaign_id)
            if inp.cancelled is not None:
                await campaigns.cancel_pending(session, c.id, inp.now)
                c.cancelled_detail = f"by {inp.cancelled.by}: {inp.cancelled.reason}"
            c.state = CampaignState.CANCELLED if inp.cancelled else CampaignState.FINISHED
            c.finished_at = inp.now
            session.add(c)
            n = await campaigns.counts(session, c.id)
        result = CampaignResult(c.state, sum(n.values()), n.get("sent", 0), n.get("skipped", 0), n.get("failed", 0),
                                n.get("cancelled", 0))
        await self.webhooks.publish(events.campaign_finished(inp, c.org_id, result))
        log.info("campaign finished", org=inp.org_slug, campaign=inp.campaign_key, **vars(result))
        return result
