"""Browser fixtures: the app served on 127.0.0.1 in a thread, and headless Chromium through Playwright."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.support.console import make_users

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Never download a browser: the Debian package is the one CI installs (.ci/run).
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync"]


def _unavailable(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is required in CI: {why}", pytrace=False)
    pytest.skip(f"browser tests need Chromium: {why}")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(loaded_app):
    """Serve the app (CSRF on, as in production) with one admin and one editor; yield its base URL."""
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    make_users(loaded_app)
    server = make_server("127.0.0.1", 0, loaded_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser):
    """Return a fresh tablet-sized page; a JavaScript dialog other than a confirm fails the test."""
    context = browser.new_context(viewport={"width": 1180, "height": 820}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.alerts = []

    def on_dialog(dialog):
        if dialog.type == "confirm":
            dialog.accept()
        else:
            page.alerts.append(dialog.message)
            dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()


@pytest.fixture
def shot(tmp_path):
    """Return a function that saves a full-page screenshot (into the README's guide with UPDATE_SCREENSHOTS=1)."""
    # Plain test runs must not rewrite tracked files; `make screenshots` refreshes the README's pictures.
    target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, element=None, *, full_page: bool = True) -> None:
        if element is not None:  # just that part of the page (a form, a panel), for the staff guide
            element.screenshot(path=str(target / f"{name}.png"))
        else:  # the whole page, or (full_page=False) what the screen shows, for a long page's top
            page.screenshot(path=str(target / f"{name}.png"), full_page=full_page)

    return save
