"""The outbox pages over HTTP: counts, a draft edited and sent, a conflict, send-all of exactly the
confirmed drafts, withdrawn drafts with their reason, and staff confined to their own agencies."""

from __future__ import annotations

import re

from sqlmodel import select

from models import Draft


async def signed_in(outbox, browser, email):
    assert (await browser.sign_in(email)).status_code == 303


async def test_a_tab_shows_the_days_counts_and_its_drafts(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    await outbox.account("ana@agency.example")
    async with outbox.browser() as ana:
        await signed_in(outbox, ana, "ana@agency.example")
        home = await ana.get("/outbox/")
        assert home.headers["location"] == "/outbox/agencies/nord"
        tab = await ana.get("/outbox/agencies/nord/tabs/arrival")
    assert tab.status_code == 200
    assert re.search(r'aria-current="page">Arrival reminders <span class="count"[^>]*>1</span>', tab.text)
    assert drafts["arrival"].subject in tab.text and drafts["balance"].subject not in tab.text
    assert "Send all 1 as they are" in tab.text
    assert '<html lang="en">' in tab.text


async def test_a_withdrawn_draft_is_listed_with_its_reason(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    await outbox.account("ana@agency.example")
    async with outbox.browser() as ana:
        await signed_in(outbox, ana, "ana@agency.example")
        closed = await ana.get("/outbox/agencies/nord/closed")
    assert drafts["withdrawn"].recipient in closed.text
    assert "Withdrawn: the balance was paid." in closed.text


async def test_staff_of_one_agency_never_see_another_agencys_drafts_even_by_typing_the_address(outbox):
    theirs = (await outbox.agencies(nord=["ana@agency.example"], sud=["bob@agency.example"]))["sud"]
    await outbox.account("ana@agency.example")
    async with outbox.browser() as ana:
        await signed_in(outbox, ana, "ana@agency.example")
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
    await outbox.account("ana@agency.example")
    page = f"/outbox/agencies/nord/drafts/{drafts['arrival'].id}"
    async with outbox.browser() as ana:
        await signed_in(outbox, ana, "ana@agency.example")
        sent = await ana.submit(page, page, version="1", subject="Votre arrivée", action="send",
                                body="Bonjour <b>Guest</b>,\nLes clés sont chez le voisin.")
        assert sent.status_code == 303
        after = await ana.get(sent.headers["location"])
    assert "Sent by ana@agency.example." in after.text
    [email] = outbox.stack.sent()
    assert email["subject"] == "Votre arrivée" and "&lt;b&gt;Guest&lt;/b&gt;" in email["body"]


async def test_two_people_on_one_draft_the_second_is_told_and_nothing_is_sent_twice(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example", "bob@agency.example"]))["nord"]
    await outbox.account("ana@agency.example")
    await outbox.account("bob@agency.example")
    page = f"/outbox/agencies/nord/drafts/{drafts['arrival'].id}"
    async with outbox.browser() as ana, outbox.browser() as bob:
        await signed_in(outbox, ana, "ana@agency.example")
        await signed_in(outbox, bob, "bob@agency.example")
        ana_token = re.search(r'name="csrf" value="([^"]+)"', (await ana.get(page)).text).group(1)
        assert (await bob.submit(page, page, version="1", subject="Bob's", body="Bob's", action="send")).status_code \
            == 303
        late = await ana.http.post(page, data={"csrf": ana_token, "version": "1", "subject": "Ana's",
                                               "body": "Ana's text", "action": "send"})
    assert late.status_code == 409
    assert "Someone else already sent it." in late.text and "Ana&#39;s text" in late.text
    assert [m["subject"] for m in outbox.stack.sent()] == ["Bob's"]


async def test_send_all_sends_exactly_the_confirmed_drafts_and_shows_the_result(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    await outbox.account("ana@agency.example")
    confirm = "/outbox/agencies/nord/tabs/arrival/send"
    async with outbox.browser() as ana:
        await signed_in(outbox, ana, "ana@agency.example")
        page = await ana.get(confirm)
        assert "Send these 1 emails" in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        listed = re.search(r'name="drafts" value="([^"]+)"', page.text).group(1)
        assert listed == str(drafts["arrival"].id)
        started = await ana.http.post(confirm, data={"csrf": token, "drafts": listed})
        assert started.status_code == 303
        report = await ana.get(started.headers["location"])
        for _ in range(50):
            if "handled" in report.text and 'http-equiv="refresh"' not in report.text:
                break
            report = await ana.get(started.headers["location"])
    assert "1 of 1 handled" in report.text and "1 sent" in report.text
    assert [m["destinations"]["to"] for m in outbox.stack.sent()] == [[drafts["arrival"].recipient]]
    async with outbox.stack.db.session() as session:
        balance = (await session.exec(select(Draft).where(Draft.id == drafts["balance"].id))).one()
    assert balance.status == "waiting"  # another tab: untouched
