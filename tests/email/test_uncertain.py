"""A send left uncertain (the worker died between the claim and SES's answer) is settled by SES's own
record of it: confirmed by its events when SES took it, sent again when SES never had it; never lost,
never twice. Against the real PostgreSQL, the local SES endpoint with its event path (configuration
set -> SNS -> SQS) and the Temporal test server."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from activities.dunning import DunningActivities
from models import EmailEventKind, EmailLedgerEntry, EmailState, RunEvent
from relance.dunning.ids import dunning_workflow_id
from relance.email import events
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.local import ses as local_ses
from relance.temporal.queues import webhook_queue
from relance.webhooks.publishing import Publisher
from starter.dunning import start_dunning_run
from tests import factories as f
from worker import build_worker


@pytest.fixture
async def events_path(clean, ses_endpoint, settings, mailer):
    local_ses.provision_events(ses_endpoint, settings.ses_configuration_set)
    await mailer.verify(f.SENDER)


class DiesMidSend:
    """The real mailer, but the worker 'dies' at the first send: after SES took the message, or before it
    was called. That attempt then hangs (as a killed worker stays silent) until Temporal gives up on it."""

    def __init__(self, real, after_ses: bool):
        self.real, self.after_ses, self.died = real, after_ses, False

    def __getattr__(self, name):
        return getattr(self.real, name)

    async def send(self, email, tag=None):
        if self.died:
            return await self.real.send(email, tag)
        self.died = True
        if self.after_ses:
            await self.real.send(email, tag)
        await asyncio.Event().wait()


@pytest.mark.slow  # a send dies: Temporal notices at its heartbeat timeout, ~20 s
@pytest.mark.parametrize("after_ses, how", [(True, "confirmed_by_ses_event"), (False, "resent_after_window")])
async def test_a_worker_dying_mid_send_leaves_one_reminder_settled_by_ses_events(env, db, mailer, events_path,
                                                                               ses_endpoint, after_ses, how):
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    today = (await env.get_current_time()).date()
    await f.load(db, f.org(f.ONE_REMINDER, slug=slug, invoices=[f.invoice(due="today-10")]), today)
    queue = f"relance-test-{uuid.uuid4()}"
    dying = DunningActivities(db, DiesMidSend(mailer, after_ses), Publisher(db, env.client, webhook_queue(queue)))
    async with build_worker(env.client, queue, db, mailer, overrides={"execute_step": dying.execute_step}):
        handle = await start_dunning_run(env.client, queue, slug, "F-1", "C1")
        result = await handle.result()
    assert result.emails_sent == 1
    assert len(local_ses.sent_messages(ses_endpoint)) == 1
    key = f"{dunning_workflow_id(slug, 'F-1')}:0:email"
    async with db.session() as session:
        row = await session.get(EmailLedgerEntry, key)
    assert (row.state, row.reason, row.attempts) == (EmailState.SENT, how, 1 if after_ses else 2)
    assert row.provider_message_id == local_ses.sent_messages(ses_endpoint)[0]["message_id"]
    timeline = [(e.outcome, e.reason) for e in await _timeline(db, slug) if e.kind == "email"]
    assert timeline == [("uncertain", "delivery_uncertain"), ("sent", how)]
    # Settled after the reconciliation window (a durable timer), not at once.
    timers = [e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
              async for e in handle.fetch_history_events() if e.HasField("timer_started_event_attributes")]
    assert timedelta(seconds=mailer.settle_after) in timers


async def _timeline(db, slug):
    async with db.session() as session:
        return list((await session.exec(select(RunEvent).where(
            RunEvent.workflow_id == dunning_workflow_id(slug, "F-1")).order_by(RunEvent.id))).all())


async def test_without_an_events_queue_nothing_counts_as_settled_and_a_queue_made_later_is_found(
        clean, db, settings, ses_endpoint):
    """A missing queue must not read as "SES published nothing": that would resend what SES took."""
    mailer = SesMailer(settings)
    assert await mailer.events.settle(db) is False  # no queue yet: an uncertain send stays uncertain
    local_ses.provision_events(ses_endpoint, settings.ses_configuration_set)
    await mailer.verify(f.SENDER)
    await mailer.send(OutgoingEmail(sender_address=f.SENDER, sender_name="Claire", to="ann@x.example.org",
                                    subject="Facture F-1", text="t", html="h"), tag="k-1")
    assert await mailer.events.settle(db) is True
    async with db.session() as session:
        assert {e.kind for e in await events.about(session, "k-1")} >= {EmailEventKind.SEND}
