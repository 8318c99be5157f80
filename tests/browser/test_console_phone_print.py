"""The console on a phone (a menu button, grouped sections) and on paper (print view, 印刷 buttons): issue 19 B7, B8."""
from __future__ import annotations

import os
import re

from playwright.sync_api import expect

from bot.extensions import db
from tests.support.console import ADMIN, PASSWORD
from tests.browser.conftest import SCREENSHOTS
from tests.forms.staff_support import make_version, submit

PHONE = {"width": 390, "height": 844}
SECTIONS = ("回答", "住民対応", "お知らせ", "設定")
ADMIN_ITEMS = ("概要", "回答", "担当課", "カテゴリ", "公開準備", "試す", "取り込み・書き出し", "未回答の質問", "申込み",
               "お知らせ", "リッチメニュー", "サイネージ", "メニュー公開・災害時", "ユーザー", "町の設定", "操作履歴")


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/admin/login")
    page.get_by_label("メールアドレス").fill(ADMIN)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="概要")).to_be_visible()


def test_on_a_phone_the_menu_folds_behind_a_button_and_every_item_is_reachable(live_server, browser, shot,
                                                                                 tmp_path):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        _log_in(page, live_server)
        nav = page.get_by_role("navigation", name="管理メニュー")
        page.wait_for_load_state("load")  # measured before admin.css arrived, the header is the unstyled menu
        header = page.locator(".adm-head").bounding_box()
        assert header["height"] <= 80, header  # was 370 of 844 px
        expect(nav).to_be_hidden()
        target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
        page.screenshot(path=str(target / "console-nav-phone-closed.png"))  # the phone's screen, menu folded
        page.get_by_text("メニュー", exact=True).click()
        expect(nav).to_be_visible()
        for section in SECTIONS:
            expect(nav.get_by_role("group", name=section)).to_be_visible()
        for item in ADMIN_ITEMS:
            link = nav.get_by_role("link", name=item, exact=True)
            expect(link).to_have_count(1)
            link.scroll_into_view_if_needed()
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 40, (item, box)
        expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(target / "console-nav-phone.png"))  # the phone's screen with the menu open
        nav.get_by_role("link", name="ユーザー", exact=True).click()
        expect(page.get_by_role("heading", name="ユーザー", exact=True)).to_be_visible()
        expect(page.get_by_role("navigation", name="管理メニュー")).to_be_hidden()  # folded again on the new page
        # The keyboard opens it too: the button is a real (visually hidden) checkbox.
        page.locator("#adm-menu-toggle").focus()
        page.keyboard.press("Space")
        expect(page.get_by_role("navigation", name="管理メニュー")).to_be_visible()
    finally:
        context.close()


def test_on_a_desktop_the_grouped_menu_shows_without_a_button(live_server, page):
    _log_in(page, live_server)
    nav = page.get_by_role("navigation", name="管理メニュー")
    expect(nav).to_be_visible()
    expect(page.locator(".adm-menu-button")).to_be_hidden()
    for section in SECTIONS:
        expect(nav.get_by_role("group", name=section)).to_be_visible()
    expect(nav.get_by_role("link", name="操作履歴")).to_be_visible()


def _records(app) -> tuple[int, int]:
    from bot.notices import workflow

    with app.app_context():
        row = submit(make_version(), "S-PRNT-0001")
        notice = workflow.create(workflow.Draft(title="子育て応援の説明会", body="3月に説明会を開きます。"), by=ADMIN)
        return row.id, notice.id


def test_applications_notices_and_readiness_print_without_menu_or_buttons(live_server, loaded_app, page, shot,
                                                                          tmp_path):
    submission_id, notice_id = _records(loaded_app)
    _log_in(page, live_server)
    pages = {"applications": "/admin/applications", "application": f"/admin/applications/{submission_id}",
             "notices": "/admin/notices/", "notice": f"/admin/notices/{notice_id}", "readiness": "/admin/readiness"}
    for name, path in pages.items():
        page.emulate_media(media="screen")
        page.goto(live_server + path)
        button = page.get_by_role("button", name="印刷")
        expect(button).to_be_visible()  # print.js shows it; a static file the CSP allows
        # (A statement list, not an expression: Playwright would call a function the expression returned.)
        page.evaluate("() => { window.__printed = 0; window.print = function () { window.__printed += 1; }; }")
        button.click()
        assert page.evaluate("window.__printed") == 1, name
        page.emulate_media(media="print")
        expect(page.get_by_role("navigation", name="管理メニュー")).to_be_hidden()
        expect(page.locator(".adm-head")).to_be_hidden()
        # The page's own buttons; the preview of the LINE message (its own shadow DOM) prints as residents see it.
        visible = page.locator("button:visible, a.button:visible, input[type=submit]:visible")
        own = [visible.nth(i).evaluate("e => e.outerHTML") for i in range(visible.count())
               if visible.nth(i).evaluate("e => e.getRootNode() === document")]
        assert own == [], (name, own)
        expect(page.locator("h1")).to_be_visible()
        if name == "application":
            # The status and memo print as text; the form to change them does not.
            expect(page.locator("dl.print-only")).to_be_visible()
            expect(page.locator("#memo")).to_be_hidden()
            expect(page.get_by_text("芦別 花子")).to_be_visible()
        shot(page, f"print-{name}")
        pdf = page.pdf(path=str(tmp_path / f"{name}.pdf"), format="A4")
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 1, name
    page.emulate_media(media="screen")
