"""The outbox in French and in English, at 390 px (a phone) and 1280 px, in a real browser (Debian's
chromium): the sign-in page, a tab, a draft and the account page, each screenshotted to tmp_path
(<language>-<width>-<n>-<page>.png). On the phone the first draft is in the first screen and its table
says, in the reader's language, that it scrolls."""

from __future__ import annotations

import re

import pytest

from tests.outbox.test_browser import FLAGS, PHONE, browser_path, screenshot, served  # noqa: F401  (fixtures)

DESKTOP = {"width": 1280, "height": 800}
# What each language calls the things the test clicks and checks.
WORDS = {
    "fr": {"password": "Avec votre mot de passe", "email": "E-mail", "secret": "Mot de passe",
           "sign_in": "Se connecter", "tab": "Rappel arrivées", "scroll": "Autres colonnes à droite",
           "agencies": "Vos agences", "browser": "fr-FR"},
    "en": {"password": "With your password", "email": "Email", "secret": "Password", "sign_in": "Sign in",
           "tab": "Arrival reminders", "scroll": "Scroll sideways", "agencies": "Your agencies",
           "browser": "en-GB"},
}


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_outbox_reads_in_french_and_english_on_a_phone_and_a_desktop(
        outbox, served, browser_path, tmp_path, language):  # noqa: F811
    from playwright.async_api import async_playwright, expect

    from tests.outbox.conftest import PASSWORD

    words = WORDS[language]
    drafts = (await outbox.agencies(nord=["ana@agency.example"]))["nord"]
    await outbox.account("ana@agency.example", language=language)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=FLAGS)
        for size, viewport in (("390", PHONE), ("1280", DESKTOP)):
            context = await browser.new_context(viewport=viewport, locale=words["browser"])
            page = await context.new_page()
            shot = f"{language}-{size}"
            await page.goto(f"{served}/outbox/")
            await expect(page.locator("html")).to_have_attribute("lang", language)
            await screenshot(page, tmp_path / f"{shot}-1-signin.png")
            form = page.get_by_role("region", name=words["password"])
            await form.get_by_label(words["email"]).fill("ana@agency.example")
            await form.get_by_label(words["secret"], exact=True).fill(PASSWORD)
            await form.get_by_role("button", name=words["sign_in"]).click()
            await page.get_by_role("link", name=re.compile(f"^{words['tab']}")).click()
            first_row = page.locator("tbody tr").first
            await expect(first_row).to_contain_text(drafts["arrival"].subject)
            if viewport is PHONE:
                row = await first_row.bounding_box()
                assert row["y"] + row["height"] <= PHONE["height"], "the first draft is below the first screen"
                await expect(page.get_by_text(words["scroll"])).to_be_visible()
            await screenshot(page, tmp_path / f"{shot}-2-tab.png")
            await page.get_by_role("link", name=drafts["arrival"].subject).click()
            await expect(page.get_by_text("Agence nord <nord@agency.example>")).to_be_visible()
            await screenshot(page, tmp_path / f"{shot}-3-draft.png")
            await page.get_by_role("link", name="ana@agency.example").click()
            agencies = page.get_by_role("region", name=words["agencies"])
            await expect(agencies.get_by_role("link", name="Agence nord")).to_be_visible()
            await screenshot(page, tmp_path / f"{shot}-4-account.png")
            await context.close()
        await browser.close()
