"""Browser fixtures: the app served on 127.0.0.1 in a thread, and headless Chromium through Playwright.

Every browser test that uses the app runs in both modes of a deployment (docs/towns.md, "Paths"):

- **single-town** (id `sqlite`): the default town on unprefixed paths. PostgreSQL is covered by the multi-town
  run, so single-town mode runs on SQLite only, unless multi-town mode is left out (`TEST_TOWN_MODES=single` runs
  it on every backend, id `postgresql` too);
- **multi-town** (id `postgresql-town`): a second town, `/biei/`, on PostgreSQL (the multi-town backend). Its pack,
  its staff and whatever a test writes in `with app.app_context():` go into that town; the default town stays
  empty, so a link, redirect, cookie or script that loses the prefix lands in a town with no pack and no staff,
  and the test fails.

`TEST_TOWN_MODES=single` or `=multi` picks one mode while iterating (both by default; `TEST_BACKENDS` as ever).
The platform's own pages (the operator console) have no town: their tests run in single-town mode only.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from flask import appcontext_pushed, g
from werkzeug.serving import make_server

from tests.conftest import BACKENDS, SECRET, TOKEN, make_app
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


SINGLE, MULTI = "single", "multi"
TOWN_MODES = [m for m in os.environ.get("TEST_TOWN_MODES", f"{SINGLE},{MULTI}").split(",") if m]
MULTI_BACKEND = "postgresql"
# The second town of multi-town mode: not the default town, with its own slug, name, staff and pack.
TOWN_SLUG, TOWN_NAME = "biei", "美瑛町"
# Tests of the platform's own pages (no town, no prefix): single-town mode only.
PLATFORM_MODULES = {"tests.browser.test_operator_browser"}


def town_modes(module) -> list[tuple[str, str]]:
    """Return the (backend, mode) pairs a browser test module runs in (a module may narrow its modes with
    `BROWSER_TOWN_MODES = (MULTI,)`)."""
    modes = [SINGLE] if module.__name__ in PLATFORM_MODULES else TOWN_MODES
    modes = [m for m in modes if m in getattr(module, "BROWSER_TOWN_MODES", (SINGLE, MULTI))]
    multi = MULTI in modes and MULTI_BACKEND in BACKENDS
    # PostgreSQL is in the multi-town run (the same database, with row-level security and a town prefix on every
    # path), so while that runs, single-town mode takes the other backend: each backend and each mode once, and a
    # third less browser time. TEST_TOWN_MODES=single runs single-town mode on every backend.
    single = [b for b in BACKENDS if not (multi and b == MULTI_BACKEND)] or list(BACKENDS)
    pairs = [(backend, SINGLE) for backend in single] if SINGLE in modes else []
    if multi:
        pairs.append((MULTI_BACKEND, MULTI))
    return pairs


def pytest_generate_tests(metafunc):
    if "app" in metafunc.fixturenames:
        pairs = town_modes(metafunc.module)
        metafunc.parametrize("app", pairs, indirect=True,
                             ids=[backend if mode == SINGLE else f"{backend}-town" for backend, mode in pairs])


class BaseURL(str):
    """The town's base URL (`http://127.0.0.1:PORT` or `http://127.0.0.1:PORT/biei`); `.origin` has no path."""

    origin: str
    prefix: str

    def __new__(cls, origin: str, prefix: str) -> "BaseURL":
        url = super().__new__(cls, origin + prefix)
        url.origin, url.prefix = origin, prefix
        return url


@pytest.fixture
def app(request, tmp_path, fake_line):
    """The app on the test's backend; in multi-town mode, the app contexts a test pushes work for the second town."""
    backend, mode = request.param
    made = make_app(request, backend, tmp_path, fake_line)
    app = next(made)
    app.config["TEST_TOWN_PREFIX"] = ""
    hook = None
    if mode == MULTI:
        from bot.towns.store import create_town

        with app.app_context():
            # The test channel's secret and token, so webhooks signed for the tests verify in this town too.
            town_id = create_town(TOWN_SLUG, TOWN_NAME, actor="test", channel_secret=SECRET, access_token=TOKEN).id

        def in_town(_app, **_extra) -> None:
            g.town_id = town_id  # overrides the default town of tests/conftest.py; a request binds its own

        hook = in_town
        appcontext_pushed.connect(hook, app)
        app.config["TEST_TOWN_PREFIX"] = f"/{TOWN_SLUG}"
    yield app
    if hook is not None:
        appcontext_pushed.disconnect(hook, app)
    next(made, None)


@pytest.fixture
def town_prefix(app) -> str:
    """Return the path prefix of the town under test: "" (single-town) or "/biei" (multi-town)."""
    return app.config["TEST_TOWN_PREFIX"]


def serve(app) -> tuple[object, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def live_server(loaded_app, town_prefix):
    """Serve the app (CSRF on, as in production) with one admin and one editor; yield the town's base URL."""
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    make_users(loaded_app)
    server, thread = serve(loaded_app)
    yield BaseURL(f"http://127.0.0.1:{server.server_port}", town_prefix)
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
