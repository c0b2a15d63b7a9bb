"""Email campaigns on the time-skipping server: a draft launched now or at a time, sent once per
recipient (1,000 of them, with SES throttling injected on part of the calls), opted-out recipients
skipped, a recipient's failure that stops nobody else, a cancel mid-way, progress as n of N."""

import asyncio
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from bench.measure import chain_histories
from models import Suppression, SuppressionReason
from relance.email.mailer import SesMailer
from starter import marketing
from tests import factories as f
from worker import build_worker


def _organisation(slug: str, recipients: int, contact_fields: dict[int, dict] | None = None) -> dict:
    """The welcome organisation with `recipients` contacts tagged promo (R0000, R0001, ...)."""
    data = f.marketing_org(slug)
    data["accounts"][0]["contacts"] += [
        {"ref": f"R{n:04}", "first_name": f"N{n}", "email": f"r{n:04}@example.org", "tags": ["promo"],
         **(contact_fields or {}).get(n, {})} for n in range(recipients)]
    return data


class ThrottledMailer(SesMailer):
    """SES answering Throttling to every `every`-th call (each call once: the retry goes through), failing
    for good for the addresses in `broken`, and holding every call after the `hold_after`-th until the test
    calls `release()`: a test cancels a campaign at a known point, whatever the machine's speed."""

    def __init__(self, settings, every: int = 0, broken: tuple[str, ...] = (), hold_after: int = 0):
        super().__init__(settings)
        self.every, self.broken, self.hold_after = every, broken, hold_after
        self.calls = 0
        self.throttled = 0
        self.held = asyncio.Event()
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    async def send(self, email, tag=None):
        self.calls += 1
        if self.hold_after and self.calls > self.hold_after:
            self.held.set()
            await self._released.wait()
        if email.to in self.broken:
            raise ClientError({"Error": {"Code": "InvalidParameterValue", "Message": "broken"}}, "SendRawEmail")
        if self.every and self.calls % self.every == 0:
            self.throttled += 1
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendRawEmail")
        return await super().send(email, tag)


async def _worker(stack, settings, mailer):
    task_queue = f"relance-test-{uuid.uuid4()}"
    stack.task_queue = task_queue
    return build_worker(stack.env.client, task_queue, stack.db, mailer)


async def _draft(stack, key: str = "promo", **audience):
    return await marketing.create_campaign(stack.db, stack.slug, key, "Promotion", "tips", "claire",
                                           **(audience or {"tag": "promo"}))


@pytest.mark.slow
async def test_a_thousand_recipients_each_get_it_once_despite_throttling(stack, settings):
    await stack.mailer.verify(f.SENDER)
    opted_out = {n: {"opted_out": True} for n in range(0, 1000, 100)}
    await stack.load(_organisation(stack.slug, 1000, opted_out))
    mailer = ThrottledMailer(settings, every=7)
    async with await _worker(stack, settings, mailer):
        await _draft(stack)
        handle = await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo",
                                                 "claire")
        result = await handle.result()
        progress = await marketing.campaign_progress(stack.client, stack.slug, "promo")  # n of N, for the CLI
    assert (progress.done, progress.total) == (1000, 1000)
    assert (result.state, result.total, result.sent, result.skipped, result.failed) == ("finished", 1000, 990, 10, 0)
    assert mailer.throttled > 100
    messages = stack.sent()  # a thousand MIME messages to parse: once
    sent = [m["destinations"]["to"][0] for m in messages]
    assert len(sent) == 990 and len(set(sent)) == 990  # every recipient once
    assert all(m["list_unsubscribe"] for m in messages)
    report = await marketing.campaign_report(stack.db, stack.slug, "promo")
    assert report.counts == {"sent": 990, "skipped": 10}
    assert {r.reason for r, _ in report.recipients if r.state == "skipped"} == {"opted_out"}
    assert report.campaign.state == "finished"


async def test_a_failing_recipient_stops_nobody_is_recorded_and_retried_alone(stack, settings):
    await stack.mailer.verify(f.SENDER)
    await stack.load(_organisation(stack.slug, 30))
    mailer = ThrottledMailer(settings, broken=("r0005@example.org",))
    async with await _worker(stack, settings, mailer):
        await _draft(stack)
        handle = await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "c")
        result = await handle.result()
        assert (result.sent, result.failed) == (29, 1)
        report = await marketing.campaign_report(stack.db, stack.slug, "promo")
        [(failed, ref)] = [(r, ref) for r, ref in report.recipients if r.state == "failed"]
        assert ref == "R0005" and "broken" in failed.reason
        with pytest.raises(ValueError, match="only a failed recipient is retried"):
            await marketing.retry_recipient(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "R0004")
        mailer.broken = ()  # the cause fixed, the recipient is retried alone
        retried = await marketing.retry_recipient(stack.client, stack.db, stack.task_queue, stack.slug, "promo",
                                                  "R0005")
        again = await retried.result()
    assert (again.total, again.sent, again.failed) == (30, 30, 0)  # the campaign's counts, now whole
    sent = [m["destinations"]["to"][0] for m in stack.sent()]
    assert len(sent) == 30 and sent.count("r0005@example.org") == 1


@asynccontextmanager
async def _held_after(stack, settings, recipients: int, sent: int, **launch):
    """A campaign of `recipients` launched, its sends held once `sent` went: (mailer, handle) while held."""
    await stack.mailer.verify(f.SENDER)
    await stack.load(_organisation(stack.slug, recipients))
    mailer = ThrottledMailer(settings, hold_after=sent)
    async with await _worker(stack, settings, mailer):
        await _draft(stack)
        handle = await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "c",
                                                 **launch)
        await asyncio.wait_for(mailer.held.wait(), 60)
        yield mailer, handle


async def test_cancel_mid_way_stops_what_is_not_sent(stack, settings):
    async with _held_after(stack, settings, 200, 40) as (mailer, handle):
        with pytest.raises(ValueError, match="field reason is empty"):
            await marketing.cancel_campaign(stack.client, stack.slug, "promo", "claire", "")
        answer = await marketing.cancel_campaign(stack.client, stack.slug, "promo", "claire", "wrong price")
        assert "cancelled by claire" in answer
        mailer.release()
        result = await handle.result()
    assert result.state == "cancelled" and 40 <= result.sent < 200 and result.cancelled == 200 - result.sent
    assert len(stack.sent()) == result.sent
    report = await marketing.campaign_report(stack.db, stack.slug, "promo")
    assert report.campaign.cancelled_detail == "by claire: wrong price"


async def test_a_campaign_launched_for_later_sends_nothing_before_and_a_draft_only_launches_once(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(_organisation(stack.slug, 3))
    await _draft(stack, contact_ref="R0001")
    at = await stack.now() + timedelta(days=2)
    handle = await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "c", at)
    with pytest.raises(ValueError, match="launched already"):
        await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "c")
    with pytest.raises(ValueError, match="only a draft can change"):
        await _draft(stack)
    await stack.env.sleep(timedelta(days=1))
    assert stack.sent() == []
    result = await handle.result()
    assert (result.total, result.sent) == (1, 1)
    assert await stack.now() >= at
    assert stack.sent()[0]["destinations"]["to"] == ["r0001@example.org"]


async def test_a_draft_names_its_mistakes(stack):
    await stack.load(_organisation(stack.slug, 1))
    with pytest.raises(ValueError, match="field template: unknown template 'nope'"):
        await marketing.create_campaign(stack.db, stack.slug, "x", "X", "nope", "c", tag="promo")
    with pytest.raises(ValueError, match=r"field template 'first'.*unknown merge field"):
        await marketing.create_campaign(stack.db, stack.slug, "x", "X", "first", "c", tag="promo")
    with pytest.raises(ValueError, match="exactly one audience"):
        await marketing.create_campaign(stack.db, stack.slug, "x", "X", "tips", "c", tag="promo", contact_ref="R0000")


async def test_a_large_campaign_continues_as_new_in_batches_keeping_its_progress(stack, settings):
    await stack.mailer.verify(f.SENDER)
    await stack.load(_organisation(stack.slug, 25, {3: {"opted_out": True}}))
    await _draft(stack)
    handle = await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "c",
                                             batch_size=7)
    result = await handle.result()
    assert (result.state, result.total, result.sent, result.skipped) == ("finished", 25, 24, 1)
    progress = await marketing.campaign_progress(stack.client, stack.slug, "promo")  # the last run's, carried
    assert (progress.done, progress.total, progress.sent, progress.skipped) == (25, 25, 24, 1)
    sent = [m["destinations"]["to"][0] for m in stack.sent()]
    assert len(sent) == 24 and len(set(sent)) == 24
    assert len(await chain_histories(stack.client, handle)) == 4  # 7 + 7 + 7 + 4
    keywords = await stack.keywords(handle)  # the last run's: ops find every batch by the campaign's key
    assert (keywords["RelanceOrganisation"], keywords["RelanceCampaign"]) == (stack.slug, ["promo"])


async def test_a_cancel_stops_a_batched_campaign_in_whichever_run_it_reaches(stack, settings):
    async with _held_after(stack, settings, 60, 25, batch_size=10) as (mailer, handle):  # the third batch sends
        await marketing.cancel_campaign(stack.client, stack.slug, "promo", "claire", "wrong price")
        mailer.release()
        result = await handle.result()
    assert result.state == "cancelled" and 25 <= result.sent <= 30 and result.cancelled == 60 - result.sent
    assert len(stack.sent()) == result.sent
    assert len(await chain_histories(stack.client, handle)) >= 3  # it was past its second batch


async def test_a_campaign_skips_suppressed_and_opted_out_addresses_rechecked_at_send_time(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(_organisation(stack.slug, 3, {2: {"opted_out": True}}))
    async with stack.db.session() as session:  # bounced after the draft was made
        session.add(Suppression(address="r0001@example.org", reason=SuppressionReason.HARD_BOUNCE,
                                since=await stack.now()))
    await _draft(stack)
    result = await (await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo",
                                                    "c")).result()
    assert (result.sent, result.skipped) == (1, 2)
    assert [m["destinations"]["to"] for m in stack.sent()] == [["r0000@example.org"]]
    report = await marketing.campaign_report(stack.db, stack.slug, "promo")
    assert {ref: r.reason for r, ref in report.recipients if r.state == "skipped"} == {
        "R0001": "address_suppressed", "R0002": "opted_out"}
