"""Publishing the rich menu and switching 災害時モード in Chromium; the fake LINE receives menu, image and default."""
from __future__ import annotations

import io
import os
import re

from PIL import Image
from playwright.sync_api import expect

from tests.support.console import ADMIN, EDITOR
from tests.browser.test_console_flows import ask_simulator, log_in

PAGE = "/admin/richmenu/publish"
SHOTS = os.environ.get("RICHMENU_SHOTS")  # a folder to keep the screenshots in, to look at them


def _shot(page, shot, name: str) -> None:
    shot(page, name)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _switch(page, reason: str, button: str) -> None:
    page.get_by_label(re.compile("理由（必須")).fill(reason)
    page.get_by_label(re.compile("確認しました")).check()
    page.get_by_role("button", name=button).click()  # the confirm dialog is accepted by the page fixture


def _public_address(loaded_app, monkeypatch) -> None:
    # The menu's お知らせ tile links to PUBLIC_BASE_URL/notices; the staff guide's pictures show a real-looking
    # address, not the test server's 127.0.0.1 port.
    monkeypatch.setitem(loaded_app.config, "PUBLIC_BASE_URL", "https://line-bot.example.jp/")


def test_edit_preview_publish_then_disaster_mode_and_back(loaded_app, monkeypatch, live_server, page, shot,
                                                          fake_line):
    _public_address(loaded_app, monkeypatch)
    log_in(page, live_server, ADMIN)
    # Edit the normal menu's first button in the console's editor and look at the preview before saving.
    page.goto(f"{live_server}/admin/richmenu?mode=normal")
    page.fill("#t1_label", "ごみの日")
    page.get_by_role("button", name="プレビュー").click()
    expect(page.locator(".rm-areas-list")).to_contain_text("ごみの日")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash.info")).to_contain_text("保存しました")
    page.get_by_role("navigation", name="管理メニュー").get_by_role("link", name="メニュー公開・災害時").click()
    expect(page.get_by_role("heading", name="LINEのメニュー公開・災害時モード")).to_be_visible()
    review = page.locator("#review-normal")
    expect(review).to_contain_text("まだ公開していません")
    expect(review.locator('tr[data-tile="1"]')).to_contain_text("ごみの日")
    review.get_by_role("button", name="この内容でLINEに公開").click()
    expect(page.locator(".flash.info")).to_contain_text("通常のメニューをLINEに公開しました")
    state = fake_line.richmenu
    normal_id = state.default
    assert normal_id and normal_id in state.menus and normal_id in state.images
    expect(page.locator('tr[data-mode="normal"]')).to_contain_text(normal_id)
    expect(page.locator('tr[data-mode="normal"]')).to_contain_text("定義と同じ（最新）")
    labels = [area["action"].get("label") for area in state.menus[normal_id]["areas"]]
    assert labels[0] == "ごみの日", labels  # what was edited and previewed is what LINE got
    content_type, data = state.images[normal_id]
    assert content_type == "image/png" and data.startswith(b"\x89PNG")
    size = state.menus[normal_id]["size"]
    assert Image.open(io.BytesIO(data)).size == (size["width"], size["height"])
    _shot(page, shot, "richmenu-publish")

    _switch(page, "大雨警報が出たため", "災害時モードに切り替える")
    expect(page.locator(".disaster-banner")).to_contain_text("災害時モード中")
    expect(page.locator(".flash.info").first).to_contain_text("災害時モードに切り替えました")
    disaster_id = state.default
    assert disaster_id not in (None, normal_id) and disaster_id in state.images
    assert normal_id in state.menus  # kept, so that switching back needs no new menu
    _shot(page, shot, "richmenu-disaster-on")
    page.goto(f"{live_server}/admin/")
    expect(page.locator(".disaster-banner")).to_contain_text("大雨警報")
    _shot(page, shot, "overview-disaster")

    reply = ask_simulator(page, live_server, "給食費ってタダになるの？")
    expect(page.locator("#log")).to_contain_text("【災害時モード】")
    assert reply is not None
    _shot(page, shot, "simulator-disaster")

    page.goto(f"{live_server}{PAGE}")
    _switch(page, "警報解除", "通常に戻す")
    expect(page.locator(".flash.info").first).to_contain_text("通常に戻しました")
    expect(page.locator(".disaster-banner")).to_have_count(0)
    assert state.default == normal_id  # the normal menu is back, not made again
    assert disaster_id in state.menus


def test_an_editors_new_url_is_shown_before_the_admin_switches_on_disaster_mode(loaded_app, monkeypatch, live_server,
                                                                                 browser, page, shot, fake_line):
    """Issue 19 A3: the editor's change to the disaster menu reaches residents only after the admin saw its URL."""
    _public_address(loaded_app, monkeypatch)
    phish = "https://ashibetsu-city.example/hinan/login?from=line"
    log_in(page, live_server, ADMIN)  # the disaster menu as it was once published, in a drill
    page.goto(f"{live_server}{PAGE}")
    page.locator("#review-disaster").get_by_role("button", name="この内容でLINEに公開").click()
    expect(page.locator(".flash.info")).to_contain_text("災害時のメニューをLINEに公開しました")
    before = dict(fake_line.richmenu.menus)
    editor = browser.new_context(viewport={"width": 1180, "height": 820}, locale="ja-JP").new_page()
    log_in(editor, live_server, EDITOR)
    editor.goto(f"{live_server}/admin/richmenu?mode=disaster")
    editor.fill("#t1_uri", phish)
    editor.get_by_role("button", name="保存する").click()
    expect(editor.locator(".flash.info")).to_contain_text("保存しました")
    editor.context.close()

    page.goto(f"{live_server}{PAGE}")
    switch = page.locator("form.disaster-switch")
    expect(switch).to_contain_text("切り替えると住民に届くメニュー：災害時のメニュー")
    changed = switch.locator('tr[data-tile="1"]')
    expect(changed).to_contain_text(f"ページを開く：{phish}")  # in full, in its tile
    expect(changed).to_contain_text("ページを開く：https://www.city.ashibetsu.hokkaido.jp/")  # and what it was
    expect(changed).to_contain_text("押したときの動作が変更")
    expect(switch.locator(".rm-urls li", has_text=phish)).to_contain_text("新規")
    expect(switch).not_to_contain_text("127.0.0.1")
    _shot(page, shot, "richmenu-review-disaster")
    shot(page, "richmenu-review", switch)  # docs/screenshots/ with UPDATE_SCREENSHOTS=1
    assert fake_line.richmenu.menus == before  # nothing has gone out yet
    _switch(page, "大雨警報が出たため", "災害時モードに切り替える")
    expect(page.locator(".flash.info").first).to_contain_text("災害時モードに切り替えました")
    menu = fake_line.richmenu.menus[fake_line.richmenu.default]
    assert phish in [area["action"].get("uri") for area in menu["areas"]]  # what was shown is what went out
    expect(page.locator("#review-disaster")).to_contain_text("前回の公開から変更はありません")

