"""Files staff attach to a draft: uploaded on the draft's page (type read from the bytes, size bounded),
listed with a remove button, sent as real attachments with the draft; another agency's staff can neither
attach to nor remove from it; a file storage lost is the draft's clear failure, nothing sent."""

from __future__ import annotations

import re
from email import message_from_string, policy

from models import Document, Draft
from relance.documents.storage import DocumentStore
from relance.local import ses as local_ses
from tests.documents.conftest import PDF, docx
from tests.outbox.test_browser import served, sign_in  # noqa: F401  (the fixture)
from tests.test_browser import FLAGS, browser_path  # noqa: F401  (the fixture)


def _page(draft: Draft) -> str:
    return f"/outbox/agencies/nord/drafts/{draft.id}"


async def test_a_file_attached_on_the_draft_page_reaches_ses_with_its_bytes_intact(
        outbox, served, browser_path, tmp_path):  # noqa: F811
    from playwright.async_api import async_playwright, expect

    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    await outbox.account("ana@agency.example")
    contract, form = tmp_path / "Contrat de location été.pdf", tmp_path / "fiche.docx"
    contract.write_bytes(PDF)
    form.write_bytes(docx())
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, served, "ana@agency.example")
        await page.goto(served + _page(drafts["arrival"]))
        for path in (contract, form, tmp_path / "notes.txt"):
            if path.suffix == ".txt":
                path.write_text("not a document")
            await page.get_by_label(re.compile("^Attach a file")).set_input_files(str(path))
            await page.get_by_role("button", name="Attach", exact=True).click()
            if path.suffix != ".txt":
                await expect(page.get_by_text("The file is attached: it goes with this email.")).to_be_visible()
        await expect(page.get_by_text("is not a document relance attaches")).to_be_visible()
        await page.go_back()
        await page.reload()
        attached = page.get_by_role("region", name="Attached files")
        await expect(attached.get_by_text("Contrat de location été.pdf")).to_be_visible()
        await page.screenshot(path=str(tmp_path / "draft-attached.png"), full_page=True)
        await attached.get_by_role("button", name="Remove fiche.docx").click()
        await expect(page.get_by_text("The file is removed from this email.")).to_be_visible()
        assert await page.get_by_text("fiche.docx").count() == 0
        await page.get_by_role("button", name="Send", exact=True).click()
        await expect(page.get_by_text("Sent by ana@agency.example.").first).to_be_visible()
        attached = page.get_by_role("region", name="Attached files")
        await expect(attached.get_by_text("Contrat de location été.pdf")).to_be_visible()
        assert await attached.get_by_role("button").count() == 0  # a sent draft's files stay as they went
        await browser.close()

    [message] = outbox.stack.sent()
    assert message["subject"] == drafts["arrival"].subject
    mime = message_from_string(message["raw"], policy=policy.default)
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in mime.iter_attachments()] == [
        ("Contrat de location été.pdf", "application/pdf", PDF)]


async def test_french_staff_read_the_attachment_section_in_french(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    async with outbox.signed_in("ana@agency.example", language="fr") as ana:
        page = await ana.get(_page(drafts["arrival"]))
        assert "Fichiers joints" in page.text and "Aucun fichier joint." in page.text
        assert "Joindre un fichier (PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS, 5 Mo au plus)" in page.text


async def test_another_agencys_staff_can_neither_attach_nor_remove(outbox):
    made = await outbox.agencies(nord=["ana@agency.example"], sud=["bob@agency.example"])
    theirs = made["nord"]["arrival"]
    async with outbox.signed_in("ana@agency.example") as ana:
        assert (await ana.upload(_page(theirs), _page(theirs) + "/documents", "c.pdf", PDF)).status_code == 303
    async with outbox.stack.db.session() as session:
        [document] = (await session.exec(Document.__table__.select())).all()
    async with outbox.signed_in("bob@agency.example") as bob:
        home = "/outbox/agencies/sud/tabs/arrival"
        for to in (f"/outbox/agencies/nord/drafts/{theirs.id}/documents",
                   f"/outbox/agencies/sud/drafts/{theirs.id}/documents"):
            assert (await bob.upload(home, to, "x.pdf", PDF)).status_code == 404
        for to in (f"/outbox/agencies/nord/drafts/{theirs.id}/documents/{document.key}/remove",
                   f"/outbox/agencies/sud/drafts/{theirs.id}/documents/{document.key}/remove",
                   f"/outbox/agencies/sud/drafts/{made['sud']['arrival'].id}/documents/{document.key}/remove"):
            assert (await bob.submit(home, to)).status_code == 404
        assert "c.pdf" not in (await bob.get(f"/outbox/agencies/sud/drafts/{made['sud']['arrival'].id}")).text
    async with outbox.stack.db.session() as session:
        assert [d.draft_id for d in (await session.exec(Document.__table__.select())).all()] == [theirs.id]


async def test_a_forged_form_or_a_file_over_the_limit_attaches_nothing(outbox):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    page = _page(drafts["arrival"])
    async with outbox.signed_in("ana@agency.example") as ana:
        forged = await ana.http.post(page + "/documents", data={"csrf": "forged"}, files={"file": ("c.pdf", PDF)})
        assert forged.status_code == 403
        big = await ana.upload(page, page + "/documents", "big.pdf", PDF + b"0" * (5 * 1024 * 1024))
        assert big.status_code == 422 and "over the limit of 5.0 MB per document" in big.text
    async with outbox.stack.db.session() as session:
        assert (await session.exec(Document.__table__.select())).all() == []


async def test_a_file_storage_lost_fails_the_draft_with_its_name_and_sends_nothing(outbox, settings):
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    page = _page(drafts["arrival"])
    async with outbox.signed_in("ana@agency.example") as ana:
        await ana.upload(page, page + "/documents", "contrat.pdf", PDF)
        async with outbox.stack.db.session() as session:
            [document] = (await session.exec(Document.__table__.select())).all()
        await DocumentStore(settings).delete(document.storage_key)
        sent = await ana.submit(page, page, version=str(drafts["arrival"].version + 1), action="send",
                                subject=drafts["arrival"].subject, body=drafts["arrival"].body)
        after = await ana.get(sent.headers["location"])
    assert local_ses.sent_messages(outbox.stack.ses_endpoint) == []
    async with outbox.stack.db.session() as session:
        draft = await session.get(Draft, drafts["arrival"].id)
    assert draft.status == "failed"
    assert draft.reason.startswith("attachment_missing: document ") and "(contrat.pdf) is no longer in storage" \
        in draft.reason
    assert "contrat.pdf" in after.text


async def test_a_file_attached_by_a_colleague_stops_a_send_from_a_page_opened_before(outbox):
    """Cleo attaches a file while Ana has the draft open: the tab and the send-all's confirmation say the
    draft carries a file; Ana's send from the page she opened before is refused, nothing goes; sent again
    from the page as it now is, it goes with the file."""
    drafts = (await outbox.agencies(nord=["ana@agency.example", "cleo@agency.example"]))["nord"]
    draft, page = drafts["arrival"], _page(drafts["arrival"])
    async with outbox.signed_in("ana@agency.example") as ana, outbox.signed_in("cleo@agency.example") as cleo:
        await ana.get(page)
        assert (await cleo.upload(page, page + "/documents", "contrat.pdf", PDF)).status_code == 303
        assert "1 file attached" in (await ana.get("/outbox/agencies/nord/tabs/arrival")).text
        assert "(1 file attached)" in (await ana.get("/outbox/agencies/nord/tabs/arrival/send")).text
        late = await ana.submit(page, page, version=str(draft.version), action="send", subject=draft.subject,
                                body=draft.body)
        assert late.status_code == 409 and outbox.stack.sent() == []
        sent = await ana.submit(page, page, version=str(draft.version + 1), action="send", subject=draft.subject,
                                body=draft.body)
        assert sent.status_code == 303
    [message] = outbox.stack.sent()
    assert [a["filename"] for a in message["attachments"]] == ["contrat.pdf"]
