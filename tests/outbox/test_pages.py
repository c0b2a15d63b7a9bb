"""The outbox pages over HTTP: counts, a draft edited and sent, a conflict, send-all of exactly the
confirmed drafts, withdrawn drafts with their reason, and staff confined to their own agencies."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import select

from models import Agency, Draft
from tests.agency.data import window_closed_at
from tests.marketing.test_campaigns import ThrottledMailer
from tests.outbox.conftest import Outbox, serving
from worker import build_worker


async def test_a_tab_shows_the_days_counts_and_its_drafts(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    async with outbox.signed_in("ana@agency.example") as ana:
        home = await ana.get("/outbox/")
        assert home.headers["location"] == "/outbox/agencies/nord"
        tab = await ana.get("/outbox/agencies/nord/tabs/arrival")
    assert tab.status_code == 200
    assert re.search(r'aria-current="page">Arrival reminders <span class="count">1<', tab.text)
    assert drafts["arrival"].subject in tab.text and drafts["balance"].subject not in tab.text
    assert "Send it as it is…" in tab.text
    assert '<html lang="en">' in tab.text


async def test_a_withdrawn_draft_is_listed_with_its_reason(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    async with outbox.signed_in("ana@agency.example") as ana:
        closed = await ana.get("/outbox/agencies/nord/closed")
    assert drafts["withdrawn"].recipient in closed.text
    assert "Withdrawn: the balance was paid." in closed.text


async def test_staff_of_one_agency_never_see_another_agencys_drafts_even_by_typing_the_address(outbox):
    theirs = (await outbox.agencies(nord=["ana@agency.example"], sud=["bob@agency.example"]))["sud"]
    async with outbox.signed_in("ana@agency.example") as ana:
        tab = await ana.get("/outbox/agencies/nord/tabs/arrival")
        assert "Agence sud" not in tab.text and theirs["arrival"].subject not in tab.text
        draft = theirs["arrival"].id
        for path in ("/outbox/agencies/sud/tabs/arrival", f"/outbox/agencies/sud/drafts/{draft}",
                     "/outbox/agencies/sud/closed", f"/outbox/agencies/nord/drafts/{draft}",
                     "/outbox/agencies/sud/bookings/SUD-ARR", "/outbox/agencies/nord/bookings/SUD-ARR"):
            answer = await ana.get(path)
            assert answer.status_code == 404, path
            assert theirs["arrival"].subject not in answer.text
        edit = await ana.submit("/outbox/agencies/nord/tabs/arrival", f"/outbox/agencies/nord/drafts/{draft}",
                                version="1", subject="hijacked", body="hijacked", action="save")
        assert edit.status_code == 404
    async with outbox.stack.db.session() as session:
        assert (await session.get(Draft, draft)).subject == theirs["arrival"].subject


async def test_a_draft_edited_and_sent_goes_out_with_the_changes_escaped(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    page = f"/outbox/agencies/nord/drafts/{drafts['arrival'].id}"
    async with outbox.signed_in("ana@agency.example") as ana:
        sent = await ana.submit(page, page, version="1", subject="Votre arrivée", action="send",
                                body="Bonjour <b>Guest</b>,\nLes clés sont chez le voisin.")
        assert sent.status_code == 303
        after = await ana.get(sent.headers["location"])
    assert "Sent by ana@agency.example." in after.text
    [email] = outbox.stack.sent()
    assert email["subject"] == "Votre arrivée" and "&lt;b&gt;Guest&lt;/b&gt;" in email["body"]


async def test_two_people_on_one_draft_the_second_is_told_and_nothing_is_sent_twice(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example", "bob@agency.example"]))["nord"]
    page = f"/outbox/agencies/nord/drafts/{drafts['arrival'].id}"
    async with outbox.signed_in("ana@agency.example") as ana, outbox.signed_in("bob@agency.example") as bob:
        ana_token = re.search(r'name="csrf" value="([^"]+)"', (await ana.get(page)).text).group(1)
        saved = await bob.submit(page, page, version="1", subject="Bob's", body="Bob's first", action="save")
        assert saved.status_code == 303
        edited = await ana.http.post(page, data={"csrf": ana_token, "version": "1", "subject": "Ana's",
                                                 "body": "Ana's text", "action": "send"})
        assert edited.status_code == 409
        assert "Someone else saved changes to it since you opened it." in edited.text
        assert "Bob&#39;s first" in edited.text and "Ana&#39;s text" in edited.text  # theirs, and hers kept
        assert (await bob.submit(page, page, version="2", subject="Bob's", body="Bob's", action="send")).status_code \
            == 303
        late = await ana.http.post(page, data={"csrf": ana_token, "version": "2", "subject": "Ana's",
                                               "body": "Ana's text", "action": "send"})
    assert late.status_code == 409
    assert "Someone else already sent it." in late.text and "Ana&#39;s text" in late.text
    assert [m["subject"] for m in outbox.stack.sent()] == ["Bob's"]


async def test_send_all_sends_exactly_the_confirmed_drafts_and_shows_the_result(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    confirm = "/outbox/agencies/nord/tabs/arrival/send"
    async with outbox.signed_in("ana@agency.example") as ana:
        page = await ana.get(confirm)
        assert "Send this email" in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        listed = re.search(r'name="drafts" value="([^"]+)"', page.text).group(1)
        assert listed == str(drafts["arrival"].id)
        started = await ana.http.post(confirm, data={"csrf": token, "drafts": listed})
        assert started.status_code == 303
        report = await finished(outbox, ana, started.headers["location"])
    assert "1 of 1 handled" in report.text and "1 sent" in report.text
    assert [m["destinations"]["to"] for m in outbox.stack.sent()] == [[drafts["arrival"].recipient]]
    async with outbox.stack.db.session() as session:
        balance = (await session.exec(select(Draft).where(Draft.id == drafts["balance"].id))).one()
    assert balance.status == "waiting"  # another tab: untouched


async def test_outside_the_send_window_the_pages_say_when_the_emails_will_go_and_nothing_goes_now(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    opens_at, closes_at = window_closed_at(datetime.now(UTC), await outbox.stack.now())
    async with outbox.stack.db.session() as session:
        await session.exec(update(Agency).values(send_window_start=opens_at, send_window_end=closes_at))
    opening = re.compile(rf"\d{{4}}-\d\d-\d\d {opens_at:%H:%M} \+0[12]:00")  # the agency's offset
    confirm = "/outbox/agencies/nord/tabs/arrival/send"
    async with outbox.signed_in("ana@agency.example") as ana:
        page = await ana.get(confirm)
        assert f"send window ({opens_at:%H:%M}–{closes_at:%H:%M}, Europe/Paris) is closed now" in page.text
        assert opening.search(page.text), page.text
        started = await ana.submit(confirm, confirm, drafts=str(drafts["arrival"].id))
        progress = await ana.get(started.headers["location"])
        assert "<h1>Queued: " in progress.text and opening.search(progress.text)
        assert "Waiting for the agency's send window" in progress.text
        draft = f"/outbox/agencies/nord/drafts/{drafts['balance'].id}"
        sent = await ana.submit(draft, draft, version="1", subject="Solde", body="Bonjour", action="send")
        after = await ana.get(sent.headers["location"])  # answered at once, not when the window opens
        assert "Being sent." in after.text and "what you send waits and goes from" in after.text
    assert outbox.stack.sent() == []


async def finished(outbox, browser, path: str):
    """The send-all's page once its run has ended (in real time: a failed send is retried for ~15 s)."""
    with outbox.stack.env.auto_time_skipping_disabled():
        await outbox.stack.client.get_workflow_handle(path.rsplit("/", 1)[1]).result()
    page = await browser.get(path)
    assert "<h1>Finished: " in page.text
    return page


async def test_a_failed_send_is_shown_and_retrying_sends_only_it(outbox, settings):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    mailer = ThrottledMailer(settings, broken=(drafts["arrival"].recipient,))
    task_queue = f"relance-test-{uuid.uuid4()}"
    failing = Outbox(serving(outbox.stack, settings, task_queue), outbox.stack)
    async with build_worker(outbox.stack.client, task_queue, outbox.stack.db, mailer), \
            failing.signed_in("ana@agency.example") as ana:
        confirm = "/outbox/agencies/nord/tabs/arrival/send"
        started = await ana.submit(confirm, confirm, drafts=str(drafts["arrival"].id))
        report = await finished(outbox, ana, started.headers["location"])
        assert "1 failed" in report.text and "Retry the failed one" in report.text
        mailer.broken = ()  # the address works again
        retried = await ana.submit(started.headers["location"], started.headers["location"] + "/retry")
        assert retried.headers["location"] != started.headers["location"]  # a send of its own
        again = await finished(outbox, ana, retried.headers["location"])
        assert "1 sent" in again.text and "Retry" not in again.text
        history = await ana.get("/outbox/agencies/nord/bookings/NORD-ARR")
    assert "Sent by ana@agency.example." in history.text
    assert [m["destinations"]["to"] for m in outbox.stack.sent()] == [[drafts["arrival"].recipient]]


async def test_someone_with_two_agencies_switches_between_them(outbox):
    await outbox.agencies(nord=["ana@agency.example"], sud=["ana@agency.example"])
    async with outbox.signed_in("ana@agency.example") as ana:
        page = await ana.get("/outbox/agencies/sud/tabs/option")
    switcher = re.search(r'<nav aria-label="Agencies".*?</nav>', page.text, re.S).group(0)
    assert '<a href="/outbox/agencies/nord">Agence nord</a>' in switcher
    assert '<a href="/outbox/agencies/sud" aria-current="page">Agence sud</a>' in switcher
