"""A marketing send left uncertain (the worker died between the claim and SES's answer) is settled like a
reminder: after the reconciliation window, by SES's own record of it: confirmed by its events when SES
took it, sent again when SES never had it; never lost, never twice. For a scenario step and a campaign
recipient, against PostgreSQL, the local SES endpoint with its event path and the test server."""

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from activities.marketing import CampaignActivities, MarketingActivities
from models import CampaignRecipient, EmailLedgerEntry
from relance.local import ses as local_ses
from relance.marketing.consent import Links
from starter import marketing
from tests import factories as f
from tests.email.test_uncertain import DiesMidSend
from worker import build_worker


@pytest.fixture
async def dying(stack, settings):
    """The stack's worker swapped for one whose first send dies (after or before SES took it)."""
    local_ses.provision_events(stack.ses_endpoint, settings.ses_configuration_set)
    await stack.mailer.verify(f.SENDER)
    links = Links(settings.public_base_url, settings.unsubscribe_secret)

    def worker(after_ses: bool):
        queue = f"relance-test-{uuid.uuid4()}"
        mailer = DiesMidSend(stack.mailer, after_ses)
        steps = MarketingActivities(stack.db, mailer, stack.webhooks(queue), links)
        campaign = CampaignActivities(stack.db, mailer, stack.webhooks(queue), links)
        return replace(stack, task_queue=queue), build_worker(stack.client, queue, stack.db, stack.mailer, overrides={
            "execute_marketing_step": steps.execute_marketing_step,
            "send_campaign_email": campaign.send_campaign_email})
    return worker


async def _ledger(stack) -> list[EmailLedgerEntry]:
    async with stack.db.session() as session:
        return sorted((await session.exec(EmailLedgerEntry.__table__.select())).all(), key=lambda e: e.claimed_at)


async def _timers(handle) -> list[timedelta]:
    return [e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
            async for e in handle.fetch_history_events() if e.HasField("timer_started_event_attributes")]


@pytest.mark.slow  # a send dies: Temporal notices at its heartbeat timeout, ~20 s
@pytest.mark.parametrize("after_ses, how", [(True, "confirmed_by_ses_event"), (False, "resent_after_window")])
async def test_a_scenario_step_whose_worker_died_mid_send_is_settled_once(stack, dying, after_ses, how):
    await stack.load(f.marketing_org(stack.slug))
    stack, worker = dying(after_ses)
    async with worker:
        enrolment = await marketing.enrol(stack.client, stack.db, stack.task_queue, stack.slug, "welcome",
                                          "C1-billing", "ops")
        result = await enrolment.handle.result()
    assert (result.reason, result.emails_sent) == ("completed", 2)
    messages = stack.sent()
    assert [m["subject"] for m in messages] == ["Bienvenue Jean", "Trois conseils pour Dupont SA"]  # each once
    first = (await _ledger(stack))[0]
    assert (first.state, first.reason, first.attempts) == ("sent", how, 1 if after_ses else 2)
    assert first.provider_message_id == messages[0]["message_id"]
    assert timedelta(seconds=stack.mailer.settle_after) in await _timers(enrolment.handle)  # after the window


@pytest.mark.slow  # a send dies: Temporal notices at its heartbeat timeout, ~20 s
async def test_a_campaign_recipient_whose_worker_died_mid_send_is_settled_once(stack, dying):
    data = f.marketing_org(stack.slug)
    data["accounts"][0]["contacts"] += [{"ref": f"R{n}", "email": f"r{n}@example.org", "tags": ["newsletter"]}
                                        for n in range(3)]
    await stack.load(data)
    stack, worker = dying(after_ses=False)
    async with worker:
        await marketing.create_campaign(stack.db, stack.slug, "promo", "Promo", "tips", "claire", tag="newsletter")
        handle = await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "c")
        result = await handle.result()
    assert (result.state, result.total, result.sent, result.skipped, result.failed) == ("finished", 4, 4, 0, 0)
    sent = sorted(m["destinations"]["to"][0] for m in stack.sent())
    assert len(sent) == 4 and len(set(sent)) == 4
    assert [e.reason for e in await _ledger(stack)].count("resent_after_window") == 1
    async with stack.db.session() as session:
        rows = (await session.exec(CampaignRecipient.__table__.select())).all()
    assert {r.state for r in rows} == {"sent"} and all(r.provider_message_id for r in rows)
    assert timedelta(seconds=stack.mailer.settle_after) in await _timers(handle)
