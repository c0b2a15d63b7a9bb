"""SES saying "slow down" is an expected wait, not a failure nor a flood of warnings; a daily quota
exhausted holds the send (retried later, quietly); a permanent rejection is recorded not_sent with SES's
reason. SES's errors come from a fault-injecting proxy in front of the real local endpoint."""

import asyncio
import dataclasses
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text
from structlog.testing import capture_logs
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.testing import ActivityEnvironment

from bench.ses_proxy import DAILY_QUOTA, ThrottlingProxy
from models import EmailLedgerEntry, EmailState
from relance.db import Database
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.email.sending import SendStatus, send_once
from relance.local import ses as local_ses
from tests.conftest import free_port
from tests.email.test_ledger import NOW, org_id, source  # noqa: F401  (org_id: a fixture)

SENDER = "compta@example.com"


def email(n: int) -> OutgoingEmail:
    return OutgoingEmail(sender_address=SENDER, sender_name="Claire", to=f"ann{n}@x.example.org",
                         subject=f"Facture F-{n}", text="t", html="h")


@pytest.fixture
async def proxy(ses_endpoint, clean, mailer):
    await mailer.verify(SENDER)
    throttler = ThrottlingProxy(ses_endpoint, 0.5, free_port())
    await throttler.start()
    yield throttler
    await throttler.stop()


async def test_throttling_is_a_quiet_wait_and_every_email_goes_once(proxy, settings, ses_endpoint):
    mailer = SesMailer(replace(settings, ses_endpoint=proxy.endpoint))
    with capture_logs() as logs:
        for n in range(12):
            await mailer.send(email(n))
    assert len(local_ses.sent_messages(ses_endpoint)) == 12
    assert proxy.throttled > 0
    waits = [line for line in logs if line["event"] == "SES throttling: waiting"]
    assert 1 <= len(waits) < proxy.throttled + 1 and all(line["log_level"] == "info" for line in logs)


async def test_an_exhausted_daily_quota_holds_the_send_quietly(proxy, settings, ses_endpoint):
    proxy.share, proxy.message = 1.0, DAILY_QUOTA
    mailer = SesMailer(replace(settings, ses_endpoint=proxy.endpoint))
    with pytest.raises(ApplicationError) as held:
        await mailer.send(email(1))
    assert held.value.type == "DailyQuota" and held.value.category == ApplicationErrorCategory.BENIGN
    assert held.value.next_retry_delay.total_seconds() >= 60
    assert local_ses.sent_messages(ses_endpoint) == []


async def test_a_permanent_rejection_is_recorded_not_sent_with_ses_reason_and_never_retried(db, mailer, org_id):  # noqa: F811
    too_many = replace(email(1), bcc=[f"copy{n}@x.example.org" for n in range(60)])  # SES: "Too many recipients."
    first = await send_once(db, mailer, "k", too_many, source(org_id), NOW)
    again = await send_once(db, mailer, "k", too_many, source(org_id), NOW)
    assert first.status == again.status == SendStatus.NOT_SENT
    assert "Too many recipients" in first.reason and again.reason == first.reason
    async with db.session() as session:
        row = await session.get(EmailLedgerEntry, "k")
    assert (row.state, row.reason) == (EmailState.NOT_SENT, first.reason)


async def test_a_send_waiting_for_its_turn_in_the_pace_heartbeats_so_temporal_does_not_give_up_on_it(
        settings, ses_endpoint, clean, mailer):
    await mailer.verify(SENDER)
    paced = SesMailer(replace(settings, ses_rate=2.0))  # one send every 0.5 s
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, heartbeat_timeout=timedelta(seconds=0.3))
    beats = []
    environment.on_heartbeat = lambda *details: beats.append(details)

    async def send_four():
        return await asyncio.gather(*(paced.send(email(n)) for n in range(4)))

    await environment.run(send_four)
    assert len(local_ses.sent_messages(ses_endpoint)) == 4
    assert len(beats) >= 4  # the last waits 1.5 s for its turn: a beat every 0.1 s meanwhile


async def test_a_send_waiting_for_a_database_connection_heartbeats_and_goes_once(
        settings, ses_endpoint, mailer, org_id):  # noqa: F811
    await mailer.verify(SENDER)
    crowded = Database(settings.database_url, pool_size=1, ping_on_checkout=False)  # two connections at most
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, heartbeat_timeout=timedelta(seconds=0.3))
    beats = []
    environment.on_heartbeat = lambda *details: beats.append(details)

    async def hold_every_connection():
        async with crowded.autocommit() as one, crowded.autocommit() as two:
            await one.exec(text("SELECT 1")), await two.exec(text("SELECT 1"))
            await asyncio.sleep(1.0)

    try:
        holder = asyncio.create_task(hold_every_connection())
        await asyncio.sleep(0.2)
        result = await environment.run(send_once, crowded, mailer, "k", email(1), source(org_id), NOW)
        await holder
    finally:
        await crowded.close()
    assert result.status == SendStatus.SENT and len(local_ses.sent_messages(ses_endpoint)) == 1
    assert len(beats) >= 5  # 0.8 s waiting for a connection: a beat every 0.1 s meanwhile
