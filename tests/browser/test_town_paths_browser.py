"""A second town under /biei/ in Chromium: its staff session is no session in the default town (and the other way
round), logging in brings staff back to the page they asked for under the prefix, and its pages look right."""
from __future__ import annotations

import os
import re
from datetime import timedelta

from playwright.sync_api import expect

from bot.core.tenancy import use_town
from bot.extensions import db
from bot.models import Notice, utcnow
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot.staff.accounts import create_user
from tests.browser.conftest import MULTI, TOWN_SLUG
from tests.browser.test_console_flows import log_in
from tests.support.console import ADMIN, PASSWORD

# Only the multi-town mode has a prefix to keep.
BROWSER_TOWN_MODES = (MULTI,)
SHOTS = os.environ.get("TOWN_SHOTS")  # a folder to keep the screenshots in, to look at them
DEFAULT_PASSWORD = "another horse battery"


def _shot(page, shot, name: str) -> None:
    shot(page, name)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _log_in_at(page, base: str, password: str) -> None:
    page.get_by_label("メールアドレス").fill(ADMIN)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_a_staff_session_in_one_town_is_no_session_in_the_other(loaded_app, live_server, page):
    assert live_server.prefix == f"/{TOWN_SLUG}"
    with loaded_app.app_context(), use_town(DEFAULT_TOWN_ID):
        create_user(ADMIN, "admin", DEFAULT_PASSWORD)  # the same address in the default town: another account
    log_in(page, live_server, ADMIN)
    expect(page).to_have_url(f"{live_server}/admin/")
    # The default town's console asks for its own login: biei's cookie is not sent there.
    page.goto(f"{live_server.origin}/admin/")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.origin)}/admin/login"))
    _log_in_at(page, live_server.origin, PASSWORD)  # biei's password is not the default town's
    expect(page.locator(".flash")).to_contain_text("メールアドレスかパスワードが違います")
    _log_in_at(page, live_server.origin, DEFAULT_PASSWORD)
    expect(page).to_have_url(f"{live_server.origin}/admin/")
    sessions = {c["path"] for c in page.context.cookies() if c["name"] == "session"}
    assert sessions == {"/", f"/{TOWN_SLUG}/"}
    # Logging out of the default town leaves biei's session alone, and the other way round.
    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.origin)}/admin/login"))
    page.goto(f"{live_server}/admin/")
    expect(page.get_by_role("heading", name="概要")).to_be_visible()
    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/admin/login"))
    page.goto(f"{live_server}/admin/")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/admin/login"))


def test_logging_in_returns_to_the_page_asked_for_under_the_prefix(live_server, page):
    page.goto(f"{live_server}/admin/entries?q=給食")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/admin/login\?next="))
    _log_in_at(page, live_server, PASSWORD)
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/admin/entries\?q="))
    expect(page.get_by_role("heading", name=re.compile("回答"))).to_be_visible()


def test_the_towns_console_and_notices_page_under_the_prefix(loaded_app, live_server, page, shot):
    with loaded_app.app_context():  # biei's own notice, on its public page
        now = utcnow()
        db.session.add(Notice(title="美瑛町 冬の窓口時間", body="12月29日から1月3日まで窓口はお休みです。", status="sent",
                              channels=["web"], requested_at=now - timedelta(minutes=2),
                              approved_at=now - timedelta(minutes=1), display_until=now + timedelta(days=7),
                              created_by="a@example.jp", approved_by="b@example.jp"))
        db.session.commit()
    log_in(page, live_server, ADMIN)
    page.goto(f"{live_server}/admin/notices/")
    expect(page.get_by_role("link", name="美瑛町 冬の窓口時間")).to_be_visible()
    expect(page.locator(".adm-brand")).to_have_text("美瑛町 LINEボット 管理画面")  # its own name, not TOWN_NAME
    # Every link of the console's menu stays in the town.
    hrefs = page.locator("nav a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(f"/{TOWN_SLUG}/") for h in hrefs), hrefs
    _shot(page, shot, "town-prefix-console")

    phone = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP").new_page()
    phone.goto(f"{live_server}/notices")
    expect(phone.locator("header.site .town")).to_have_text("美瑛町のお知らせ")
    expect(phone.get_by_role("link", name="美瑛町 冬の窓口時間")).to_be_visible()
    expect(phone.locator("link[rel=alternate]")).to_have_attribute("href", f"/{TOWN_SLUG}/notices.atom")
    assert phone.locator("link[rel=stylesheet]").evaluate("e => e.sheet !== null && e.sheet.cssRules.length > 0")
    phone.get_by_role("link", name="美瑛町 冬の窓口時間").click()
    expect(phone).to_have_url(re.compile(rf"^{re.escape(live_server)}/notices/\d+$"))
    expect(phone.locator("body")).to_contain_text("窓口はお休みです")
    _shot(phone, shot, "town-prefix-notice")
    phone.context.close()
