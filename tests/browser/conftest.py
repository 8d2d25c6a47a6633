"""Chromium for the browser tests (the system one, driven by Playwright's sync API) and their helpers."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import PASSWORD

# Assertions wait as long as actions do: shared CI runners stall for seconds under load.
expect.set_options(timeout=10_000)

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"  # for a look at the pages, not compared
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium(monkeypatch):
    """The browser. Request it after the fixtures that write data: once Playwright's loop runs in
    this thread, stock broadcasts (``async_to_sync``) from the test's own writes are refused.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    # Sync Playwright runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        # While Playwright's loop runs, Django keeps this thread's connections in context
        # storage that is unreachable once it stops: close what the test opened, now.
        connections.close_all()
        browser.close()


def new_page(browser, base_url: str, errors: list[str], *, expected_console_errors: str = "") -> Page:
    """A 1280×800 page with cookies and storage of its own; script errors are added to ``errors``.

    ``expected_console_errors``: a pattern for console errors the test causes on purpose.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    expected = re.compile(expected_console_errors) if expected_console_errors else None

    def console(message):
        if message.type == "error" and not (expected and expected.search(message.text)):
            errors.append(f"console: {message.text}")

    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", console)
    return page


def log_in_and_open(page, register):
    page.goto(f"/pos/{register.code}/")
    expect(page).to_have_url(re.compile(rf"/login/\?next=/pos/{register.code}/$"))
    page.get_by_label("Username").fill("cashier")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#pos[data-ready=true]")).to_be_visible()  # htmx and checkout.js loaded
    expect(page.locator("#scan")).to_be_focused()


def scan(page, code):
    """Type like a barcode scanner: digits then Enter, without waiting for the server."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")
