"""A person of the organisation opens the reports page in a real browser (Debian's chromium), on the
demo's data with its five months of history: the figures the page shows are the API's, the charts are
drawn from relance's own files (nothing fetched from outside), in French and in English, on a phone
(390 px, nothing wider than the screen) and on a desktop. Screenshots go to tmp_path."""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime, timedelta

import httpx

from relance import apikeys
from relance.cli.stack import DEMO_FILE
from relance.demo.history import write_history
from relance.importing.importer import read_file
from tests import factories
from tests.outbox.test_browser import PHONE, served, sign_in  # noqa: F401  (the fixture)
from tests.test_browser import FLAGS, browser_path  # noqa: F401  (the fixture)

SHOTS = os.environ.get("RELANCE_SCREENSHOTS")  # a folder to keep the screenshots in, besides tmp_path


async def _demo_with_history(stack) -> None:
    org = copy.deepcopy(read_file(DEMO_FILE)["organisations"][0])
    org.update(slug=stack.slug, agencies=[])
    today = await stack.today()
    await factories.load(stack.db, org, today)
    await write_history(stack.db, stack.slug, today)


async def _api_report(stack, base: str, query: str) -> dict:
    key = (await apikeys.create_key(stack.db, stack.slug, "test", datetime.now(UTC)))[1]
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{base}/v1/reports/dunning?{query}", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _shot(page, tmp_path, name: str) -> None:
    for folder in filter(None, (str(tmp_path), SHOTS)):
        await page.screenshot(path=os.path.join(folder, name), full_page=True)


async def test_the_reports_page_shows_the_apis_figures_with_charts_in_french_and_english(
        outbox, served, browser_path, tmp_path):  # noqa: F811
    from playwright.async_api import async_playwright, expect

    await _demo_with_history(outbox.stack)
    await outbox.account("claire@atelier.example", language="fr")  # the page reads in the account's language
    today = await outbox.stack.today()
    query = f"from={today - timedelta(days=180)}&to={today}"
    report = await _api_report(outbox.stack, served, query)
    totals, funnel = report["by_currency"][0], report["funnel"]
    assert totals["reminded"] > 0 and funnel

    outside = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=FLAGS)
        for viewport, name in ((PHONE, "phone"), ({"width": 1280, "height": 900}, "desktop")):
            page = await browser.new_page(viewport=viewport)
            page.on("request", lambda request: outside.append(request.url)
                    if not request.url.startswith(served) else None)
            errors = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            await sign_in(page, served, "claire@atelier.example")
            await page.goto(f"{served}/outbox/reports?{query}")
            await expect(page.get_by_role("heading", name="Rapports", exact=True)).to_be_visible()
            # The figures are the API's.
            await expect(page.locator("[data-figure=reminded]")).to_have_text(str(totals["reminded"]))
            await expect(page.locator("[data-figure=recovered]")).to_have_text(str(totals["recovered"]))
            # The period in the reader's format, whatever the browser's date fields show (en-US here).
            await expect(page.locator("[data-figure=period]")).to_contain_text(
                f"{today - timedelta(days=180):%d/%m/%Y} au {today:%d/%m/%Y}")
            rows = page.locator("#funnel tbody tr")
            await expect(rows).to_have_count(len(funnel))
            for row, step in zip(await rows.all(), funnel, strict=True):
                cells = await row.locator("td").all_inner_texts()
                assert cells[0] == f"{step['step']}. {step['label']}"
                assert cells[1:3] == [str(step["reminded"]), str(step["paid_after"])]
            # The charts are drawn (Chart.js ran and painted its canvases).
            for canvas in ("#funnel-chart", "#weeks-chart"):
                assert await page.evaluate(f"!!Chart.getChart(document.querySelector('{canvas}'))")
            assert errors == []
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= viewport["width"], f"the page is {wide} px wide on a {viewport['width']} px screen"
            await _shot(page, tmp_path, f"reports-{name}-fr.png")
            await page.get_by_role("link", name="English").click()
            await expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
            await expect(page.get_by_text("After which reminder invoices get paid")).to_be_visible()
            await _shot(page, tmp_path, f"reports-{name}-en.png")
            await page.close()
        await browser.close()
    assert outside == [], "the page needs something from outside relance"
