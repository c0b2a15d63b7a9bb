"""A person at the Temporal UI: with the local stack up, filter the workflows by an invoice number
and find its dunning run. Playwright drives Debian's chromium (never a downloaded browser)."""

import os
import shutil
import signal
import subprocess
import sys
from urllib.parse import quote

import pytest

from tests.conftest import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags chromium keeps calling out, which this network refuses.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_path():
    if not os.path.exists(CHROMIUM):
        message = "chromium is not installed (make test installs it: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.mark.slow
def test_ui_filters_workflows_by_invoice_number_and_shows_the_run(browser_path, tmp_path):
    from playwright.sync_api import sync_playwright

    ui_port = free_port()
    env = {
        **os.environ,
        "RELANCE_HOME": str(tmp_path / "home"),
        "RELANCE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/relance",
        "RELANCE_SES_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "RELANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "RELANCE_TEMPORAL_UI_PORT": str(ui_port),
    }
    stack = subprocess.Popen([sys.executable, "-m", "relance.cli", "up"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        for line in stack.stdout:
            if "Press Ctrl-C" in line:
                break
        query = quote('RelanceInvoiceNumber = "F2026-0003"')
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path, args=FLAGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{ui_port}/namespaces/default/workflows?query={query}")
            page.get_by_text("dunning:demo:F2026-0003").first.wait_for(timeout=60_000)
            assert page.get_by_text("dunning:demo:F2026-0001").count() == 0  # the filter applied
            page.screenshot(path=str(tmp_path / "ui.png"))
            browser.close()
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(timeout=60)


@pytest.mark.parametrize("page_path, operation, last_shown", [
    ("/docs", "/v1/invoices/{number}/payments", ".opblock"),
    ("/redoc", "Record a payment", "text=API docs by Redocly")])  # whose logo came from a CDN
def test_the_api_docs_list_the_operations_with_nothing_fetched_from_outside(browser_path, page_path, operation,
                                                                            last_shown):
    """A host's developer opens /docs or /redoc on a machine without internet (every request leaving
    relance is refused here): the pages' scripts and styles come from relance itself, and every operation
    is listed, and nothing at all is asked of another server (not even an image)."""
    from playwright.sync_api import sync_playwright

    from relance.api.app import create_app
    from relance.config import Settings
    from tests.serving import Served

    outside = []
    with Served(create_app(Settings())) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=FLAGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                   else (outside.append((route.request.resource_type, route.request.url)), route.abort()))
        page.goto(f"{base}{page_path}")
        page.get_by_text(operation).first.wait_for(timeout=30_000)
        page.locator(last_shown).first.wait_for(state="attached", timeout=30_000)
        page.wait_for_timeout(1_000)  # what the page asks once shown reaches the route above
        browser.close()
    assert outside == [], "the docs page asks something of another server"
