"""End to end in Debian's Chromium: ask, watch the answer stream, check a source card, open the cited page."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_app import app_settings, served  # noqa: F401  (session fixtures: the index and the running app)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTION = "How far back can a GSVER project claim retroactive credits?"
REPO = Path(__file__).resolve().parents[1]

# Records every text the last assistant bubble shows, so the test can see the answer grow.
WATCH = """() => {
  window.__snaps = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('.bot, [data-testid="bot"]');
    if (bots.length) window.__snaps.push(bots[bots.length - 1].innerText);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
def test_chat_in_browser(served, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.goto(url + "/", wait_until="domcontentloaded")
            box = page.wait_for_selector("#question textarea", timeout=60_000)
            page.evaluate(WATCH)
            box.fill(QUESTION)
            page.click("#ask")

            card = page.locator("#sources-panel .cq-card").first
            card.wait_for(timeout=120_000)
            # The final bubble carries the footer with the answerer name; partial ones end in a cursor.
            page.wait_for_function("document.querySelector('#chat').innerText.includes('extractive ·')", timeout=120_000)
            snaps = page.evaluate("window.__snaps")
            assert any("▌" in s for s in snaps), "the answer did not stream (no partial state seen)"
            chat_text = page.inner_text("#chat")
            assert QUESTION in chat_text and "[1]" in chat_text

            text = card.inner_text()
            assert "page " in text and "Gold Standard" in text
            quote = card.locator("mark").first.inner_text()
            assert len(quote.split()) >= 4
            link = card.locator("a.cq-open")
            href = link.get_attribute("href")
            assert href.startswith("/pdf/gold-standard") and "#page=" in href

            shot = tmp_path / "chat.png"
            page.screenshot(path=str(shot), full_page=True)
            (REPO / "test-output").mkdir(exist_ok=True)
            shutil.copy(shot, REPO / "test-output" / "chat.png")

            with context.expect_event("response", lambda r: "/pdf/" in r.url, timeout=60_000) as info:
                link.click()
            resp = info.value
            assert resp.status == 200
            assert resp.headers["content-type"] == "application/pdf"
        finally:
            browser.close()
