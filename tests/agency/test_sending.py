"""Sending: a whole tab as a durable run (exactly the confirmed drafts, each once, paced and waiting out
SES throttling, a failure stopping nobody else, the failed ones retried alone); edit-and-send of one
draft, HTML escaped; two people on the same draft cannot both send it."""

import asyncio
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from relance.agency.errors import DraftConflict
from relance.temporal import search_attributes as sa
from starter import agency
from tests.agency import data
from tests.marketing.test_campaigns import ThrottledMailer
from worker import build_worker
from workflows.agency import AgencySendWorkflow


def _arrivals(n: int) -> list[dict]:
    """Arriving in 5 days: sendable now (a send's business time is the run's, today)."""
    return [data.booking(f"A{i:04}", "today+5", "today+12") for i in range(n)]


def _to_guests(stack) -> list[dict]:
    """The emails sent to guests (the drafting also emails the day's summary to the staff who ask)."""
    return [m for m in stack.sent() if m["destinations"]["to"][0].endswith("@guest.example")]


async def _drafted(stack, n: int) -> list[int]:
    await stack.mid_morning()  # drafted and sent the same day in the agency's zone
    await stack.load(data.organisation(stack.slug, _arrivals(n), {"arrival": 7}))
    await data.draft_today(stack)
    return [line.draft.id for line in await agency.tab_drafts(stack.db, stack.slug, "mer", "arrival")]


@pytest.mark.slow
async def test_send_all_sends_exactly_the_confirmed_drafts_once_despite_throttling(stack, settings):
    await stack.mailer.verify(data.SENDER)
    ids = await _drafted(stack, 60)
    mailer = ThrottledMailer(settings, every=5, broken=("a0007@guest.example",))
    task_queue = f"relance-test-{uuid.uuid4()}"
    async with build_worker(stack.env.client, task_queue, stack.db, mailer):
        # A draft made after the person confirmed is not sent unseen.
        confirmed = ids[:50]
        started = await agency.send_tab(stack.client, stack.db, task_queue, stack.slug, "mer", "arrival", confirmed,
                                        "anne")
        assert started.count == 50
        progress = await started.handle.result()
        assert (progress.total, progress.done, progress.sent, progress.failed) == (50, 50, 49, 1)
        report = await agency.batch_report(stack.db, stack.slug, "mer", started.batch_id)
        assert report.finished and report.counts == {"sent": 49, "failed": 1}
        assert mailer.throttled >= 5
        sent = [m["destinations"]["to"][0] for m in _to_guests(stack)]
        assert len(sent) == 49 and len(set(sent)) == 49
        assert "a0007@guest.example" not in sent
        left = [line.draft.id for line in await agency.tab_drafts(stack.db, stack.slug, "mer", "arrival")]
        assert sorted(left) == sorted(ids[50:] + [d.id for d in report.drafts if d.status == "failed"])

        mailer.broken = ()  # the address works again: only the failed one is sent
        retried = await agency.retry_failed(stack.client, stack.db, task_queue, stack.slug, "mer", started.batch_id,
                                            "anne")
        assert retried.count == 1
        await retried.handle.result()
    sent = [m["destinations"]["to"][0] for m in _to_guests(stack)]
    assert len(sent) == 50 and sent[-1] == "a0007@guest.example"
    with pytest.raises(ValueError, match="no draft failed"):
        await agency.retry_failed(stack.client, stack.db, stack.task_queue, stack.slug, "mer", retried.batch_id, "a")


async def test_edit_and_send_escapes_the_html_and_records_who_sent(stack):
    await stack.mailer.verify(data.SENDER)
    [draft_id] = await _drafted(stack, 1)
    line = await agency.draft_line(stack.db, stack.slug, "mer", draft_id)
    await agency.send_draft(stack.client, stack.db, stack.task_queue, stack.slug, "mer", draft_id,
                            line.draft.version, "anne", subject="Bienvenue\r\nBcc: x@evil.example",
                            body="Bonjour <script>alert(1)</script> & à bientôt")
    [message] = _to_guests(stack)
    assert message["subject"] == "Bienvenue Bcc: x@evil.example" and message["destinations"]["bcc"] == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; à bientôt" in message["html"]
    assert "<script>" in message["text"]
    sent = (await agency.draft_line(stack.db, stack.slug, "mer", draft_id)).draft
    assert (sent.status, sent.sent_by, sent.edited_by, sent.provider_message_id) == ("sent", "anne", "anne",
                                                                                     message["message_id"])
    history = await agency.booking_history(stack.db, stack.slug, "mer", "A0000")
    assert [d.status for d in history.drafts] == ["sent"]


async def test_two_people_on_one_draft_cannot_both_send_it(stack):
    await stack.mailer.verify(data.SENDER)
    [draft_id] = await _drafted(stack, 1)
    read = (await agency.draft_line(stack.db, stack.slug, "mer", draft_id)).draft.version  # both open it
    edited = await agency.edit_draft(stack.db, stack.slug, "mer", draft_id, read, "Sujet", "Texte d'Anne", "anne")
    with pytest.raises(DraftConflict, match="changed by anne"):
        await agency.send_draft(stack.client, stack.db, stack.task_queue, stack.slug, "mer", draft_id, read, "paul")
    await agency.send_draft(stack.client, stack.db, stack.task_queue, stack.slug, "mer", draft_id, edited.version,
                            "anne")
    with pytest.raises(DraftConflict, match="it is sent by anne"):
        await agency.send_draft(stack.client, stack.db, stack.task_queue, stack.slug, "mer", draft_id, edited.version,
                                "anne")
    with pytest.raises(ValueError, match="not drafts of the arrival tab"):
        await agency.send_tab(stack.client, stack.db, stack.task_queue, stack.slug, "mer", "arrival", [draft_id + 99],
                              "paul")
    started = await agency.send_tab(stack.client, stack.db, stack.task_queue, stack.slug, "mer", "arrival",
                                    [draft_id], "paul")
    progress = await started.handle.result()
    assert (progress.sent, progress.skipped) == (0, 1)
    keywords = await stack.keywords(started.handle)  # what ops filter on in the Temporal UI
    assert (keywords["RelanceOrganisation"], keywords["RelanceAgency"], keywords["RelanceState"]) == (
        stack.slug, ["mer"], "ended")
    details = (await started.handle.query("__temporal_workflow_metadata")).current_details
    assert "by paul" in details and "finished: **1 of 1** (0 sent, 0 withdrawn, 0 failed, 1 skipped)" in details
    assert [m["destinations"]["to"] for m in _to_guests(stack)] == [["a0000@guest.example"]]


async def test_a_draft_past_its_last_sendable_day_expires_at_send_instead_of_going(stack):
    await stack.mailer.verify(data.SENDER)
    await stack.load(data.organisation(stack.slug, [data.booking("L1", "today-3", "today+4")], {"arrival": 7}))
    await data.draft_today(stack, await stack.today() - timedelta(days=8))  # drafted then, never sent
    [line] = await agency.tab_drafts(stack.db, stack.slug, "mer", "arrival")
    started = await agency.send_tab(stack.client, stack.db, stack.task_queue, stack.slug, "mer", "arrival",
                                    [line.draft.id], "anne")
    progress = await started.handle.result()
    assert (progress.expired, progress.sent) == (1, 0) and _to_guests(stack) == []
    closed = await agency.closed_drafts(stack.db, stack.slug, "mer")
    assert [(c.draft.status, c.draft.reason) for c in closed] == [("expired", "past_sendable_until")]


async def test_a_tab_sent_while_the_send_window_is_closed_waits_for_it_to_open_then_goes(stack):
    await stack.mailer.verify(data.SENDER)
    now = await stack.now()
    opens_at, closes_at = data.window_closed_at(now)
    window = [opens_at.isoformat("minutes"), closes_at.isoformat("minutes")]
    await stack.load(data.organisation(stack.slug, _arrivals(3), {"arrival": 7}, send_window=window))
    await data.draft_today(stack)
    ids = [line.draft.id for line in await agency.tab_drafts(stack.db, stack.slug, "mer", "arrival")]
    started = await agency.send_tab(stack.client, stack.db, stack.task_queue, stack.slug, "mer", "arrival", ids,
                                    "anne")
    paris = now.astimezone(ZoneInfo("Europe/Paris"))
    day = paris.date() + timedelta(days=0 if paris.time() < opens_at else 1)
    opening = datetime.combine(day, opens_at, ZoneInfo("Europe/Paris"))
    progress = await _waiting(started.handle)
    assert progress.waiting_until == opening and progress.sent == 0
    attributes = (await started.handle.describe()).typed_search_attributes  # ops see it waiting, and until when
    assert (attributes.get(sa.STATE), attributes.get(sa.NEXT_STEP_AT)) == ("waiting", opening)
    assert _to_guests(stack) == []
    tab = await agency.tab_drafts(stack.db, stack.slug, "mer", "arrival")
    assert [line.draft.status for line in tab] == ["sending"] * 3  # queued: nobody sends them twice meanwhile

    await stack.env.sleep(opening - await stack.now() + timedelta(minutes=1))  # the morning comes
    progress = await started.handle.result()
    assert (progress.sent, progress.waiting_until) == (3, None)
    assert sorted(m["destinations"]["to"][0] for m in _to_guests(stack)) == [
        "a0000@guest.example", "a0001@guest.example", "a0002@guest.example"]


async def _waiting(handle):
    """The run's progress once it is waiting for the send window."""
    for _ in range(200):
        progress = await handle.query(AgencySendWorkflow.progress)
        if progress.waiting_until is not None:
            return progress
        await asyncio.sleep(0.05)
    raise AssertionError("the send-all never waited for the send window")
