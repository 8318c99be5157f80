"""The rich-menu editor in Chromium: typing a label redraws the preview; the layout changes the tap areas."""
from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from tests.support.console import EDITOR
from tests.browser.test_console_flows import log_in


def test_editing_a_label_updates_the_preview(live_server, page, shot):
    log_in(page, live_server, EDITOR)
    page.goto(f"{live_server}/admin/richmenu")
    image = page.locator("#rm-image")
    before = image.get_attribute("href")
    expect(page.locator("#rm-areas rect")).to_have_count(6)
    shot(page, "richmenu-editor")
    page.screenshot(path="/tmp/richmenu-editor.png", full_page=True)

    with page.expect_response(lambda r: "/admin/richmenu/preview.png" in r.url and "%E5%AD%A6%E6%A0%A1" in r.url) as got:
        page.fill("#t1_label", "学校と子育て")
    response = got.value
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert image.get_attribute("href") != before
    assert Image.open(io.BytesIO(response.body())).size == (2500, 1686)

    page.select_option("#layout", "compact-1x3")
    expect(page.locator("#rm-areas rect")).to_have_count(3)
    assert page.locator("#rm-preview").get_attribute("viewBox") == "0 0 2500 843"
    expect(page.locator('fieldset[data-tile="4"]')).to_be_hidden()
    # Only the chosen action's own field is shown: a postback tile has no URL box.
    expect(page.locator("#t1_uri")).to_be_hidden()
    expect(page.locator("#t1_category")).to_be_visible()
    page.select_option("#t1_kind", "uri")
    expect(page.locator("#t1_uri")).to_be_visible()
    assert page.alerts == []


def test_a_label_typed_before_the_script_ran_still_redraws_the_preview(live_server, page):
    log_in(page, live_server, EDITOR)
    held = []
    page.route("**/static/richmenu.js*", lambda route: held.append(route))
    page.goto(f"{live_server}/admin/richmenu", wait_until="commit")
    expect(page.locator("#t1_label")).to_be_editable()
    for _ in range(100):  # the parser asks for richmenu.js after the form
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "richmenu.js was never requested"
    page.fill("#t1_label", "先に入力")
    with page.expect_response(lambda r: "/admin/richmenu/preview.png" in r.url and "%E5%85%88%E3%81%AB" in r.url):
        held[0].continue_()


def test_saving_from_the_browser(live_server, page):
    log_in(page, live_server, EDITOR)
    page.goto(f"{live_server}/admin/richmenu?mode=disaster")
    page.fill("#chat_bar_text", "災害時のメニュー")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash.info")).to_contain_text("災害時のメニューを保存しました")
    expect(page.locator("#chat_bar_text")).to_have_value("災害時のメニュー")
    page.screenshot(path="/tmp/richmenu-editor-disaster.png", full_page=True)
