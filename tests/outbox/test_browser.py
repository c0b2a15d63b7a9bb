"""A person at the outbox in a real browser (Playwright driving Debian's chromium, never a downloaded
one): signs in, reads the counts, edits and sends a draft, sends a whole tab, finds a withdrawn draft
and why; a person of another agency sees none of it, even by typing its address. On a phone (390 px) the
drafts come first and their table says it scrolls. Screenshots go to tmp_path."""

from __future__ import annotations

import asyncio
import re

import pytest
import uvicorn

from tests.conftest import free_port
from tests.outbox.conftest import PASSWORD
from tests.test_browser import FLAGS, browser_path  # noqa: F401  (the fixture)


@pytest.fixture
async def served(outbox):
    """The app on a free port, in the test's event loop (the stack's database and worker live there)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(outbox.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def sign_in(page, base: str, email: str):
    await page.goto(f"{base}/outbox/")
    form = page.get_by_role("region", name="With your password")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password").fill(PASSWORD)
    await form.get_by_role("button", name="Sign in").click()


async def screenshot(page, path, full_page: bool = True) -> None:
    """The page as a person sees it, once loaded, to tmp_path. Chromium on busy cores sometimes answers
    a capture with "Unable to capture screenshot" (no frame ready yet, seen once in a full run): the page
    has not changed, so the capture is asked once more, and a second refusal fails the test."""
    from playwright.async_api import Error

    await page.wait_for_load_state()
    try:
        await page.screenshot(path=str(path), full_page=full_page)
    except Error as error:
        if "Unable to capture screenshot" not in str(error):
            raise
        await asyncio.sleep(0.5)
        await page.screenshot(path=str(path), full_page=full_page)


PHONE = {"width": 390, "height": 844}
SCROLL_HINT = "Scroll sideways for more columns →"


async def on_a_phone(browser, base: str, drafts, tmp_path):
    """At 390 px: the first draft in the first screen, its table saying it scrolls, the draft's sender, the
    account's agencies."""
    from playwright.async_api import expect

    page = await browser.new_page(viewport=PHONE)
    await sign_in(page, base, "ana@agency.example")
    await page.get_by_role("link", name=re.compile("^Arrival reminders")).click()
    first_row = page.locator("tbody tr").first
    await expect(first_row).to_contain_text(drafts["arrival"].subject)
    row = await first_row.bounding_box()
    assert row["y"] + row["height"] <= PHONE["height"], "the first draft is below the first screen"
    await expect(page.get_by_text(SCROLL_HINT)).to_be_visible()
    await screenshot(page, tmp_path / "phone-1-tab.png", full_page=False)
    await page.get_by_role("link", name=drafts["arrival"].subject).click()
    await expect(page.get_by_text("Agence nord <nord@agency.example>")).to_be_visible()
    await screenshot(page, tmp_path / "phone-2-draft.png")
    await page.get_by_role("link", name="ana@agency.example").click()
    agencies = page.get_by_role("region", name="Your agencies")
    await expect(agencies.get_by_role("link", name="Agence nord")).to_be_visible()
    await screenshot(page, tmp_path / "phone-3-account.png")
    await page.close()


async def test_a_person_works_their_outbox_in_a_browser_and_sees_no_other_agency(
        outbox, served, browser_path, tmp_path):  # noqa: F811
    from playwright.async_api import async_playwright, expect

    made = await outbox.agencies(nord=["ana@agency.example"], sud=["bob@agency.example"])
    drafts, theirs = made["nord"], made["sud"]
    await outbox.account("ana@agency.example")
    await outbox.account("bob@agency.example")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=FLAGS)
        await on_a_phone(browser, served, drafts, tmp_path)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})

        await sign_in(page, served, "ana@agency.example")
        await expect(page.get_by_role("heading", name="Agence nord: outbox")).to_be_visible()
        await page.get_by_role("link", name=re.compile("^Arrival reminders")).click()
        await expect(page.get_by_role("link", name=re.compile("^Arrival reminders"))).to_have_attribute(
            "aria-current", "page")
        await expect(page.get_by_text("4 emails waiting")).to_be_visible()
        await expect(page.get_by_text(SCROLL_HINT)).to_be_hidden()  # the table fits: nothing to scroll
        await screenshot(page, tmp_path / "1-tab.png")

        await page.keyboard.press("Tab")  # the first stop is the skip link
        await expect(page.locator(":focus")).to_have_text("Skip to content")

        await page.get_by_role("link", name=drafts["arrival"].subject).click()
        await page.get_by_label("Subject").fill("Votre arrivée à la Villa")
        await page.get_by_label("Message").fill("Bonjour,\nLes clés sont chez <b>le voisin</b>.")
        await expect(page.get_by_text("Agence nord <nord@agency.example>")).to_be_visible()
        await screenshot(page, tmp_path / "2-draft.png")
        await page.get_by_role("button", name="Send", exact=True).click()
        await expect(page.get_by_text("Sent by ana@agency.example.").first).to_be_visible()

        await page.get_by_role("link", name="Agence nord", exact=True).click()
        await page.get_by_role("link", name="Send it as it is…").click()
        await expect(page.get_by_role("heading", name="Send 1 email of “Balance reminders”?")).to_be_visible()
        await screenshot(page, tmp_path / "3-confirm.png")
        await page.get_by_role("button", name="Send this email").click()
        await expect(page.get_by_role("heading", name="Finished: Balance reminders")).to_be_visible(timeout=30_000)
        await expect(page.get_by_text("1 of 1 handled")).to_be_visible()
        await screenshot(page, tmp_path / "4-sent.png")

        await page.get_by_role("link", name="Withdrawn and expired").click()
        await expect(page.get_by_text("Withdrawn: the balance was paid.")).to_be_visible()
        await screenshot(page, tmp_path / "5-withdrawn.png")

        await page.get_by_role("link", name="ana@agency.example").click()
        agencies = page.get_by_role("region", name="Your agencies")
        await expect(agencies.get_by_role("link", name="Agence nord")).to_be_visible()
        assert await agencies.get_by_text("Agence sud").count() == 0
        await screenshot(page, tmp_path / "7-account.png")
        await page.get_by_role("button", name="Sign out").click()
        await sign_in(page, served, "bob@agency.example")
        await expect(page.get_by_role("heading", name="Agence sud: outbox")).to_be_visible()
        assert await page.get_by_text("Agence nord").count() == 0
        await page.goto(f"{served}/outbox/agencies/nord/drafts/{drafts['option'].id}")
        await expect(page.get_by_text("There is no agency “nord” in your outbox.")).to_be_visible()
        assert await page.get_by_text(drafts["option"].subject).count() == 0
        await screenshot(page, tmp_path / "6-other-agency.png")
        await browser.close()
    assert sorted(m["subject"] for m in outbox.stack.sent()) == sorted(
        ["Votre arrivée à la Villa", drafts["balance"].subject])
    assert theirs["arrival"].subject not in {m["subject"] for m in outbox.stack.sent()}
