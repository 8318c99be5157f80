"""Channels in Chromium: compose shows the period only for displayed channels; the public page on a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.extensions import db
from bot.models import Facility
from tests.support.console import ADMIN, EDITOR
from tests.browser.test_notices_browser import log_in
from tests.notices.support import FAST
from tests.support.layout import page_width


@pytest.fixture
def halls(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True})
    with loaded_app.app_context():
        db.session.add_all([Facility(name="芦別市民会館"), Facility(name="芦別市立図書館")])
        db.session.commit()


def test_compose_for_signage_and_web_then_read_it_on_a_phone(halls, live_server, browser, page, shot):
    base = live_server
    log_in(page, base, EDITOR)
    page.goto(f"{base}/admin/notices/new")
    period = page.locator("#display-period")
    expect(period).to_be_hidden()
    page.locator("#title").fill("年末年始の図書館休館のお知らせ")
    page.locator("#body").fill("12月29日から1月3日まで休館します。\n返却はブックポストへ。詳しくは https://www.city.ashibetsu.hokkaido.jp/ をご覧ください。")
    page.get_by_label("サイネージ（施設の画面）").check()
    page.get_by_label("公開ページ（ホームページ・フィード）").check()
    expect(period).to_be_visible()
    page.get_by_label("施設を選ぶ").check()
    page.get_by_label("芦別市民会館").check()
    page.get_by_label("表示の終了（日本時間）").fill("2999-01-03T17:00")
    page.get_by_label("LINE（友だちに1回送ります）").uncheck()
    expect(page.locator("#line-timing")).to_be_hidden()
    page.get_by_label("LINE（友だちに1回送ります）").check()
    expect(page.locator("#line-timing")).to_be_visible()
    page.screenshot(path="/tmp/nc_compose.png", full_page=True)
    shot(page, "notice-compose-channels")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.locator("#notice-channels")).to_have_text("LINE・サイネージ・公開ページ")
    expect(page.locator("#notice-screens")).to_have_text("芦別市民会館")
    notice_url = page.url
    page.get_by_role("button", name="承認を依頼する").click()

    admin = browser.new_context(viewport={"width": 1180, "height": 820}, locale="ja-JP").new_page()
    log_in(admin, base, ADMIN)
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.goto(notice_url)
    admin.get_by_role("button", name="承認して送信").click()
    expect(admin.locator("#display-state")).to_have_text("公開中")
    admin.screenshot(path="/tmp/nc_detail.png", full_page=True)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP", device_scale_factor=2,
                                java_script_enabled=False).new_page()
    phone.goto(f"{base}/notices")
    expect(phone.get_by_role("heading", level=1)).to_have_text("お知らせ")
    expect(phone.get_by_role("main")).to_be_visible()
    phone.screenshot(path="/tmp/nc_public_list.png", full_page=True)
    shot(phone, "public-notices-phone")
    phone.get_by_role("link", name="年末年始の図書館休館のお知らせ").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("年末年始の図書館休館のお知らせ")
    expect(phone.get_by_role("link", name="https://www.city.ashibetsu.hokkaido.jp/")).to_be_visible()
    phone.screenshot(path="/tmp/nc_public_notice.png", full_page=True)
    shot(phone, "public-notice-phone")
    # The page fits a phone: nothing wider than the screen.
    assert page_width(phone) <= 390
    phone.emulate_media(media="print")
    expect(phone.locator("header.site")).to_be_hidden()
    phone.screenshot(path="/tmp/nc_public_print.png", full_page=True)
