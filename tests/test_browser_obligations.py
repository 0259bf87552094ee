"""The Obligations tab in Debian's Chromium: filter the VCS Standard to the VVB, sort, open a row's page."""
from __future__ import annotations

from pathlib import Path

import pytest

from test_app import app_settings, served  # noqa: F401  (session fixtures: the index and the running app)
from test_browser import ARGS, CHROMIUM

DOC = "verra-vcs-standard-v4.7-2024"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
def test_obligations_tab_in_browser(served, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.goto(url + "/", wait_until="domcontentloaded")
            page.get_by_role("tab", name="Obligations").click(timeout=60_000)
            docs = page.locator("#oblig-docs input")
            docs.click()
            docs.fill(DOC)
            page.get_by_role("option", name=DOC).first.click()
            page.locator("#oblig-actor textarea, #oblig-actor input").first.fill("VVB")
            page.click("#oblig-go")
            page.wait_for_function("(document.querySelector('#oblig-status') || {}).innerText"
                                   " && /[1-9]\\d* obligation/.test(document.querySelector('#oblig-status').innerText)",
                                   timeout=120_000)
            table = page.locator("#oblig-table")
            link = table.locator("a[href*='#page=']:visible").first
            link.wait_for(timeout=60_000)
            href = link.get_attribute("href")
            assert href.startswith(f"/pdf/{DOC}") and "#page=" in href
            body = table.inner_text()
            assert "VVB" in body
            table.get_by_text("page", exact=True).first.click()  # header click sorts; the table stays filled
            assert table.locator("a[href*='#page=']").count() >= 1
            page.screenshot(path=str(tmp_path / "obligations.png"), full_page=True)
            # The link opens the PDF in a new tab; fetch it as the browser would and check it is served.
            pdf = context.request.get(url + href.split("#")[0])
            assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
        finally:
            browser.close()
